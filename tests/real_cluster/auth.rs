//! Credentials that stop working while kdrift watches: a short-lived ServiceAccount token from
//! the TokenRequest API, handed out by an exec plugin as cloud providers' plugins do. When the
//! server rejects it the watch says so ("credentials rejected"), and once the plugin hands out a
//! valid token the watch is live again without restarting kdrift.

use crate::common::fault_proxy::FaultProxy;
use crate::common::testbed::{App, Engine, applied_app, testbed};
use kdrift_engine::model::{DriftStatus, WatchState};
use std::time::Duration;

/// An exec credential plugin that hands out whatever token is in `token_file`, valid for two
/// seconds, so kube asks it again on (nearly) every request.
fn exec_plugin(dir: &std::path::Path, token_file: &std::path::Path) -> std::path::PathBuf {
    let plugin = dir.join("token-plugin.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nexp=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}}}' \"$(cat '{}')\" \"$exp\"\n",
            token_file.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    plugin
}

fn rejected(s: &kdrift::app::State) -> bool {
    s.inv.watches.values().any(|w| {
        matches!(w, WatchState::Reconnecting { why: Some(why), .. } if why.contains("credentials rejected"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_stops_working_is_named_and_a_fresh_one_is_picked_up() {
    let (tb, _shared) = testbed();
    let App {
        dir: _dir,
        ns,
        repo,
    } = applied_app(&tb, "t-token");
    let sa = "kdrift-reader";
    tb.kubectl(&["-n", &ns, "create", "serviceaccount", sa]);
    // cluster-admin: this test is about credentials, not permissions (and a refused request
    // here would be counted by the restricted-user test, which checks the server's denials)
    let binding = format!("{ns}-reader");
    tb.kubectl(&[
        "create",
        "clusterrolebinding",
        &binding,
        "--clusterrole=cluster-admin",
        &format!("--serviceaccount={ns}:{sa}"),
    ]);
    // each token is bound to a Secret: deleting the Secret revokes the token at once, which is
    // what expiry looks like to a client (TokenRequest's shortest lifetime is ten minutes)
    let token = |bound: &str| {
        tb.kubectl(&["-n", &ns, "create", "secret", "generic", bound]);
        tb.kubectl(&[
            "-n",
            &ns,
            "create",
            "token",
            sa,
            "--bound-object-kind=Secret",
            &format!("--bound-object-name={bound}"),
            "--duration=1h",
        ])
        .trim()
        .to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token("token-a")).unwrap();
    let plugin = exec_plugin(dir.path(), &token_file);
    let user = format!(
        "{{exec: {{apiVersion: client.authentication.k8s.io/v1, command: {}, interactiveMode: Never}}}}",
        plugin.display()
    );
    let proxy = FaultProxy::passing_auth(&tb, &user);

    let mut e = Engine::start(&proxy.kubeconfig, &repo).await;
    e.pump_until(Duration::from_secs(30), |s| {
        !s.inv.watches.is_empty() && s.inv.watches.values().all(|w| *w == WatchState::Live)
    })
    .await;
    assert!(
        e.state().inv.drifted_keys().is_empty(),
        "{:#?}",
        e.state().inv.verdicts
    );

    // the token stops working; the next list (after a connection blip) is refused
    tb.kubectl(&["-n", &ns, "delete", "secret", "token-a"]);
    let mut named = false;
    for _ in 0..20 {
        proxy.fault(serde_json::json!({"action": "cut"}));
        if e.pump_for(Duration::from_secs(2), rejected).await {
            named = true;
            break;
        }
    }
    assert!(
        named,
        "the watch never said the credentials were rejected: {:?}",
        e.state().inv.watches
    );

    // a fresh token from the same plugin: live again, and current
    std::fs::write(&token_file, token("token-b")).unwrap();
    e.pump_until(Duration::from_secs(60), |s| {
        s.inv.watches.values().all(|w| *w == WatchState::Live)
    })
    .await;
    tb.kubectl(&["-n", &ns, "delete", "configmap/cfg"]);
    e.pump_until(Duration::from_secs(10), |s| {
        s.inv.verdicts.iter().any(|(k, r)| {
            k.kind == "ConfigMap" && k.name == "cfg" && r.status == DriftStatus::Missing
        })
    })
    .await;
    tb.kubectl(&["delete", "clusterrolebinding", &binding]);
}
