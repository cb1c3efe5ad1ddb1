//! What can go wrong talking to a cluster, typed. `ClusterError` is plain data (it travels in
//! events and into rows); `ConnectError` keeps its causes, for the one line printed at start-up.

use crate::error::Cause;
use crate::model::Gvk;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// Discovery does not know the kind (a CRD not installed, a typo, a removed API version).
    #[error("unknown kind {gvk} ({}/{}): {detail}", gvk.group, gvk.version)]
    UnknownKind { gvk: Gvk, detail: String },
    /// The API server answered with an error. Its message names fields, never values.
    #[error("{message} ({reason})")]
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// The request did not get an answer (connection refused, TLS, a body that does not parse).
    #[error("{0}")]
    Request(String),
    /// A SelfSubjectAccessReview could not be made.
    #[error("access review failed: {0}")]
    AccessReview(String),
}

impl ClusterError {
    pub fn from_kube(e: &kube::Error) -> Self {
        match e {
            kube::Error::Api(s) => ClusterError::Api {
                code: s.code,
                reason: s.reason.clone(),
                message: s.message.clone(),
            },
            other => ClusterError::Request(other.to_string()),
        }
    }

    /// The same error with each of `values` masked in its text (a Secret's values, which a
    /// server's message can quote).
    pub fn scrubbed(self, values: &[String]) -> Self {
        let clean = |t: String| crate::drift::scrub_values(&t, values);
        match self {
            ClusterError::Api {
                code,
                reason,
                message,
            } => ClusterError::Api {
                code,
                reason,
                message: clean(message),
            },
            ClusterError::Request(t) => ClusterError::Request(clean(t)),
            ClusterError::AccessReview(t) => ClusterError::AccessReview(clean(t)),
            other => other,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            ClusterError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Why no client could be made for the cluster (`connect`).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("reading kubeconfig {file}")]
    ReadKubeconfig {
        file: String,
        #[source]
        source: Cause,
    },
    #[error("kubeconfig {file}")]
    Kubeconfig {
        file: String,
        #[source]
        source: Cause,
    },
    #[error("loading kubeconfig")]
    Load(#[source] Cause),
    #[error("no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a cluster")]
    NoConfig(#[source] Cause),
    #[error("creating the Kubernetes client")]
    Client(#[source] Cause),
    #[error("cannot reach the API server of context {context}")]
    Unreachable {
        context: String,
        #[source]
        source: Cause,
    },
}
