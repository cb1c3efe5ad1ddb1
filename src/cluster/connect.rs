//! Connecting like kubectl: an explicit kubeconfig file, else $KUBECONFIG / ~/.kube/config, else in-cluster.

use anyhow::{Context, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::path::Path;

/// A client for `context` (default: the current context), checked to reach its API server,
/// and the name to show for it.
pub async fn connect(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<(Client, String)> {
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let (config, name) = match kubeconfig {
        Some(file) => {
            let kc = Kubeconfig::read_from(file)
                .with_context(|| format!("reading kubeconfig {}", file.display()))?;
            let name = context
                .map(str::to_string)
                .or_else(|| kc.current_context.clone());
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .with_context(|| format!("kubeconfig {}", file.display()))?;
            (config, name)
        }
        None if context.is_some() => {
            let config = Config::from_kubeconfig(&options)
                .await
                .context("loading kubeconfig")?;
            (config, context.map(str::to_string))
        }
        None => {
            let name = Kubeconfig::read().ok().and_then(|kc| kc.current_context);
            let config = Config::infer().await.context(
                "no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a cluster",
            )?;
            (config, name)
        }
    };
    let name = name.unwrap_or_else(|| config.cluster_url.to_string());
    let client = Client::try_from(config).context("creating the Kubernetes client")?;
    client
        .apiserver_version()
        .await
        .with_context(|| format!("cannot reach the API server of context {name}"))?;
    Ok((client, name))
}
