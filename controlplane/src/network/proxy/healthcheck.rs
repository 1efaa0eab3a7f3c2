//! The service health server (pkg/proxy/healthcheck): on each LoadBalancer Service's
//! `healthCheckNodePort` with externalTrafficPolicy Local, kube-proxy answers whether its
//! node has ready endpoints, so the cloud's load balancer sends traffic only to those nodes.

/// One answer of the health check port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// 200 with local endpoints, 503 without.
    pub code: u16,
    /// The JSON body, as upstream prints it.
    pub body: String,
    pub local_endpoints: usize,
}

impl HealthCheck {
    pub fn new(namespace: &str, name: &str, local_endpoints: usize) -> HealthCheck {
        let code = if local_endpoints > 0 { 200 } else { 503 };
        let body = format!(
            "{{\n\t\"service\": {{\n\t\t\"namespace\": {namespace:?},\n\t\t\"name\": {name:?}\n\t}},\n\t\"localEndpoints\": {local_endpoints},\n\t\"serviceProxyHealthy\": true\n}}"
        );
        HealthCheck { code, body, local_endpoints }
    }
}
