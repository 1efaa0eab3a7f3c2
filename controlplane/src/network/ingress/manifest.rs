//! The objects of kind's ingress-nginx manifest (deploy/static/provider/kind/deploy.yaml) that
//! route traffic: the namespace, the controller's ServiceAccount, ConfigMap, Services and
//! Deployment (hostPorts 80 and 443 on the node labelled `ingress-ready=true`), and the
//! IngressClass `nginx`. Its RBAC and its admission webhook (the certificate Jobs and the
//! ValidatingWebhookConfiguration) are left out: nothing here checks them.

/// The label of the node the controller runs on (kind's guide sets it on the control plane).
pub const NODE_LABEL: (&str, &str) = ("ingress-ready", "true");

/// The objects, in the order `kubectl apply` creates them.
pub const OBJECTS: &[&str] = &[
    r#"
apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
  labels: {app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx}
"#,
    r#"
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
  labels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/part-of: ingress-nginx, app.kubernetes.io/version: 1.12.1}
automountServiceAccountToken: true
"#,
    r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/part-of: ingress-nginx, app.kubernetes.io/version: 1.12.1}
data: {}
"#,
    r#"
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/part-of: ingress-nginx, app.kubernetes.io/version: 1.12.1}
spec:
  type: NodePort
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http, appProtocol: http}
  - {name: https, port: 443, protocol: TCP, targetPort: https, appProtocol: https}
  selector: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx}
"#,
    r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/part-of: ingress-nginx, app.kubernetes.io/version: 1.12.1}
spec:
  minReadySeconds: 0
  revisionHistoryLimit: 10
  selector:
    matchLabels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx}
  strategy: {rollingUpdate: {maxUnavailable: 1}, type: RollingUpdate}
  template:
    metadata:
      labels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/part-of: ingress-nginx, app.kubernetes.io/version: 1.12.1}
    spec:
      containers:
      - name: controller
        image: registry.k8s.io/ingress-nginx/controller:v1.12.1
        imagePullPolicy: IfNotPresent
        args:
        - /nginx-ingress-controller
        - --election-id=ingress-nginx-leader
        - --controller-class=k8s.io/ingress-nginx
        - --ingress-class=nginx
        - --configmap=$(POD_NAMESPACE)/ingress-nginx-controller
        - --watch-ingress-without-class=true
        - --enable-metrics=false
        - --publish-status-address=localhost
        env:
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
        - {name: LD_PRELOAD, value: /usr/local/lib/libmimalloc.so}
        livenessProbe:
          httpGet: {path: /healthz, port: 10254, scheme: HTTP}
          initialDelaySeconds: 10
          periodSeconds: 10
          timeoutSeconds: 1
          successThreshold: 1
          failureThreshold: 5
        readinessProbe:
          httpGet: {path: /healthz, port: 10254, scheme: HTTP}
          initialDelaySeconds: 10
          periodSeconds: 10
          timeoutSeconds: 1
          successThreshold: 1
          failureThreshold: 3
        ports:
        - {containerPort: 80, hostPort: 80, name: http, protocol: TCP}
        - {containerPort: 443, hostPort: 443, name: https, protocol: TCP}
        resources: {requests: {cpu: 100m, memory: 90Mi}}
      dnsPolicy: ClusterFirst
      nodeSelector: {ingress-ready: "true", kubernetes.io/os: linux}
      serviceAccountName: ingress-nginx
      terminationGracePeriodSeconds: 0
      tolerations:
      - {effect: NoSchedule, key: node-role.kubernetes.io/master, operator: Equal}
      - {effect: NoSchedule, key: node-role.kubernetes.io/control-plane, operator: Equal}
"#,
    r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  labels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx, app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/part-of: ingress-nginx, app.kubernetes.io/version: 1.12.1}
spec:
  controller: k8s.io/ingress-nginx
"#,
];
