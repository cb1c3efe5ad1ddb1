//! `:` — move the selection to the first row of an app, a namespace or a kind, as k9s's `:` moves
//! to a resource: `:web`, `:shop`, `:ConfigMap`, `:cm`, `:deploy`. Apps (of the repo's Argo CD
//! and Flux definitions) are tried first, then namespaces, then kinds by name, kubectl short name
//! or prefix; the filter, when on, still applies.

use super::state::{NoticeKind, State};
use kdrift_engine::inventory::Row;
use kdrift_engine::text::sanitize;

/// kubectl's short names for the kinds people jump to most.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("cm", "configmap"),
    ("cj", "cronjob"),
    ("crd", "customresourcedefinition"),
    ("deploy", "deployment"),
    ("ds", "daemonset"),
    ("hpa", "horizontalpodautoscaler"),
    ("ing", "ingress"),
    ("netpol", "networkpolicy"),
    ("ns", "namespace"),
    ("pdb", "poddisruptionbudget"),
    ("po", "pod"),
    ("pv", "persistentvolume"),
    ("pvc", "persistentvolumeclaim"),
    ("rs", "replicaset"),
    ("sa", "serviceaccount"),
    ("sts", "statefulset"),
    ("svc", "service"),
];

/// Moves the selection to the first visible row `target` names, or says nothing matched.
pub fn jump(state: &mut State, target: &str) {
    let want = target.trim().to_lowercase();
    if want.is_empty() {
        return;
    }
    let kind = SHORT_NAMES
        .iter()
        .find(|(short, _)| *short == want)
        .map_or(want.as_str(), |(_, kind)| kind);
    // one pass per rule, best first: a key press over the rows, never per event
    let inv = &state.inv;
    let rules: [&dyn Fn(Row<'_>) -> bool; 4] = [
        &|row| {
            inv.app_of(row)
                .is_some_and(|a| a.eq_ignore_ascii_case(&want))
        },
        &|row| {
            row.namespace()
                .is_some_and(|ns| ns.eq_ignore_ascii_case(&want))
        },
        &|row| row.kind().eq_ignore_ascii_case(kind),
        &|row| row.kind().to_lowercase().starts_with(kind),
    ];
    let found = rules
        .iter()
        .find_map(|rule| state.position_where(|row, _| rule(row)));
    match found {
        Some(i) => state.selected = i,
        None => state.notify(
            NoticeKind::Info,
            format!(
                "no app, namespace or kind {:?} among the rows",
                sanitize(target)
            ),
        ),
    }
}
