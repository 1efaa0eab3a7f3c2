//! Tests of kube-proxy.
