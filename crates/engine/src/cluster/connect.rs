//! Connecting like kubectl: an explicit kubeconfig file, else $KUBECONFIG / ~/.kube/config, else in-cluster.

use super::error::ConnectError;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::path::Path;
use std::time::Duration;

/// A client for `context` (default: the current context), checked to reach its API server,
/// and the name to show for it.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<(Client, String), ConnectError> {
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let (config, name) = match kubeconfig {
        Some(file) => {
            let shown = file.display().to_string();
            let kc = Kubeconfig::read_from(file).map_err(|e| ConnectError::ReadKubeconfig {
                file: shown.clone(),
                source: Box::new(e),
            })?;
            let name = context
                .map(str::to_string)
                .or_else(|| kc.current_context.clone());
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| ConnectError::Kubeconfig {
                    file: shown,
                    source: Box::new(e),
                })?;
            (config, name)
        }
        None if context.is_some() => {
            let config = Config::from_kubeconfig(&options)
                .await
                .map_err(|e| ConnectError::Load(Box::new(e)))?;
            (config, context.map(str::to_string))
        }
        None => {
            let name = Kubeconfig::read().ok().and_then(|kc| kc.current_context);
            let config = Config::infer()
                .await
                .map_err(|e| ConnectError::NoConfig(Box::new(e)))?;
            (config, name)
        }
    };
    let name = name.unwrap_or_else(|| config.cluster_url.to_string());
    let limit = super::deadline::request_timeout();
    let mut config = config;
    // a little past the whole call's deadline, so that the clearer message below is the one seen
    config.connect_timeout = Some(limit + Duration::from_secs(1));
    // silence on a connection for this long is a stall (watches are ended by the server sooner)
    config.read_timeout = Some(super::deadline::watch_idle());
    let client = Client::try_from(config).map_err(|e| ConnectError::Client(Box::new(e)))?;
    let unreachable = |source: crate::error::Cause| ConnectError::Unreachable {
        context: name.clone(),
        source,
    };
    match tokio::time::timeout(limit, client.apiserver_version()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(unreachable(Box::new(e))),
        Err(_) => {
            let why = format!("no answer in {}s (--request-timeout)", limit.as_secs());
            return Err(unreachable(why.into()));
        }
    }
    Ok((client, name))
}
