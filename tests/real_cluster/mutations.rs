//! Every real change caught, on exactly the right object and field, with the manager that made
//! it, and nothing else: the corpus applied server-side, then many hand edits at once (each on
//! an object or field of its own), then one `kdrift check`.

use super::corpus::{applied_corpus, cleanup};
use crate::common::testbed::{testbed, unique};
use serde_json::Value;
use std::collections::BTreeSet;

/// One hand edit: `kubectl -n NS ARGS…` (`__NS__` in an argument is the namespace), and what
/// `check` must then report for it.
struct Mutation {
    what: &'static str,
    kubectl: &'static [&'static str],
    expect: &'static [Expect],
}

/// A reported change: `kind/name`, then the field path and its manager; a deleted object is
/// `Missing`.
enum Expect {
    Field {
        object: &'static str,
        path: &'static str,
        manager: Option<&'static str>,
    },
    Missing(&'static str),
}

use Expect::{Field, Missing};

const MUTATIONS: &[Mutation] = &[
    Mutation {
        what: "scale a Deployment",
        kubectl: &["scale", "deployment/web", "--replicas=5"],
        expect: &[Field {
            object: "Deployment/web",
            path: "/spec/replicas",
            manager: Some("kubectl"),
        }],
    },
    // An object deleted by hand: Missing, not a field.
    Mutation {
        what: "delete a ConfigMap",
        kubectl: &["delete", "configmap/nginx-conf"],
        expect: &[Missing("ConfigMap/nginx-conf")],
    },
    Mutation {
        what: "set a Deployment's image",
        kubectl: &[
            "set",
            "image",
            "deployment/echo",
            "echo=hashicorp/http-echo:1.0.1",
        ],
        expect: &[Field {
            object: "Deployment/echo",
            path: "/spec/template/spec/containers[name=echo]/image",
            manager: Some("kubectl-set"),
        }],
    },
    Mutation {
        what: "change an env var",
        kubectl: &[
            "set",
            "env",
            "deployment/worker",
            "-c",
            "worker",
            "QUEUE_URL=amqp://rabbitmq-2:5672",
        ],
        expect: &[Field {
            object: "Deployment/worker",
            path: "/spec/template/spec/containers[name=worker]/env[name=QUEUE_URL]/value",
            manager: Some("kubectl-set"),
        }],
    },
    // A declared list item removed: reported whole, live unset, no manager.
    Mutation {
        what: "remove an env var",
        kubectl: &["set", "env", "deployment/web", "-c", "web", "JAVA_OPTS-"],
        expect: &[Field {
            object: "Deployment/web",
            path: "/spec/template/spec/containers[name=web]/env[name=JAVA_OPTS]",
            manager: None,
        }],
    },
    Mutation {
        what: "raise limits",
        kubectl: &[
            "set",
            "resources",
            "deployment/worker",
            "-c",
            "worker",
            "--limits=cpu=3,memory=3Gi",
        ],
        expect: &[
            Field {
                object: "Deployment/worker",
                path: "/spec/template/spec/containers[name=worker]/resources/limits/cpu",
                manager: Some("kubectl-set"),
            },
            Field {
                object: "Deployment/worker",
                path: "/spec/template/spec/containers[name=worker]/resources/limits/memory",
                manager: Some("kubectl-set"),
            },
        ],
    },
    Mutation {
        what: "relabel a Deployment",
        kubectl: &[
            "label",
            "deployment/web",
            "app.kubernetes.io/version=2.15.0",
            "--overwrite",
        ],
        expect: &[Field {
            object: "Deployment/web",
            path: "/metadata/labels/app.kubernetes.io~1version",
            manager: Some("kubectl-label"),
        }],
    },
    Mutation {
        what: "re-annotate a Service",
        kubectl: &[
            "annotate",
            "service/web",
            "prometheus.io/port=9191",
            "--overwrite",
        ],
        expect: &[Field {
            object: "Service/web",
            path: "/metadata/annotations/prometheus.io~1port",
            manager: Some("kubectl-annotate"),
        }],
    },
    Mutation {
        what: "remove a Secret's label",
        kubectl: &[
            "label",
            "secret/db-credentials",
            "app.kubernetes.io/part-of-",
        ],
        expect: &[Field {
            object: "Secret/db-credentials",
            path: "/metadata/labels/app.kubernetes.io~1part-of",
            manager: None,
        }],
    },
    // git writes this Secret with stringData; the server stores data.
    Mutation {
        what: "change a Secret key",
        kubectl: &[
            "patch",
            "secret/api-keys",
            "--type=merge",
            "-p",
            r#"{"data":{"SENTRY_DSN":"aHR0cHM6Ly9vdGhlckBzZW50cnkuZXhhbXBsZS5jb20vNDM="}}"#,
        ],
        expect: &[Field {
            object: "Secret/api-keys",
            path: "/data/SENTRY_DSN",
            manager: Some("kubectl-patch"),
        }],
    },
    // Written through stringData, stored (and reported) under data.
    Mutation {
        what: "change a Secret via stringData",
        kubectl: &[
            "patch",
            "secret/db-credentials",
            "--type=merge",
            "-p",
            r#"{"stringData":{"username":"admin"}}"#,
        ],
        expect: &[Field {
            object: "Secret/db-credentials",
            path: "/data/username",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "remove a ConfigMap key",
        kubectl: &[
            "patch",
            "configmap/app-config",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/data/CACHE_TTL_SECONDS"}]"#,
        ],
        expect: &[Field {
            object: "ConfigMap/app-config",
            path: "/data/CACHE_TTL_SECONDS",
            manager: None,
        }],
    },
    Mutation {
        what: "change a ConfigMap key",
        kubectl: &[
            "patch",
            "configmap/app-config",
            "--type=merge",
            "-p",
            r#"{"data":{"LOG_LEVEL":"debug"}}"#,
        ],
        expect: &[Field {
            object: "ConfigMap/app-config",
            path: "/data/LOG_LEVEL",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "change a ConfigMap binaryData key",
        kubectl: &[
            "patch",
            "configmap/assets",
            "--type=merge",
            "-p",
            r#"{"binaryData":{"hello.gz":"H4sIAAAAAAAAA8tIzcnJV+QCAALh/38HAAAA"}}"#,
        ],
        expect: &[Field {
            object: "ConfigMap/assets",
            path: "/binaryData/hello.gz",
            manager: Some("kubectl-patch"),
        }],
    },
    // A bot with its own field manager takes over a declared field.
    Mutation {
        what: "a second manager takes a field",
        kubectl: &[
            "patch",
            "deployment/api",
            "--type=merge",
            "--field-manager=ops-bot",
            "-p",
            r#"{"spec":{"strategy":{"rollingUpdate":{"maxSurge":2}}}}"#,
        ],
        expect: &[Field {
            object: "Deployment/api",
            path: "/spec/strategy/rollingUpdate/maxSurge",
            manager: Some("ops-bot"),
        }],
    },
    Mutation {
        what: "move a CronJob's schedule",
        kubectl: &[
            "patch",
            "cronjob/cleanup",
            "--type=merge",
            "-p",
            r#"{"spec":{"schedule":"0 5 1 1,4,7,10 *"}}"#,
        ],
        expect: &[Field {
            object: "CronJob/cleanup",
            path: "/spec/schedule",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "resume a suspended CronJob",
        kubectl: &[
            "patch",
            "cronjob/sales-report",
            "--type=merge",
            "-p",
            r#"{"spec":{"suspend":false}}"#,
        ],
        expect: &[Field {
            object: "CronJob/sales-report",
            path: "/spec/suspend",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "set a CronJob's image",
        kubectl: &[
            "set",
            "image",
            "cronjob/sales-report",
            "report=registry.example.com/shop/reports:5.0.4",
        ],
        expect: &[Field {
            object: "CronJob/sales-report",
            path: "/spec/jobTemplate/spec/template/spec/containers[name=report]/image",
            manager: Some("kubectl-set"),
        }],
    },
    Mutation {
        what: "raise an HPA's minimum",
        kubectl: &[
            "patch",
            "hpa/api",
            "--type=merge",
            "-p",
            r#"{"spec":{"minReplicas":3}}"#,
        ],
        expect: &[Field {
            object: "HorizontalPodAutoscaler/api",
            path: "/spec/minReplicas",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "raise an HPA's maximum",
        kubectl: &[
            "patch",
            "hpa/web",
            "--type=merge",
            "--field-manager=capacity-planner",
            "-p",
            r#"{"spec":{"maxReplicas":12}}"#,
        ],
        expect: &[Field {
            object: "HorizontalPodAutoscaler/web",
            path: "/spec/maxReplicas",
            manager: Some("capacity-planner"),
        }],
    },
    Mutation {
        what: "loosen a PDB",
        kubectl: &[
            "patch",
            "pdb/web",
            "--type=merge",
            "-p",
            r#"{"spec":{"minAvailable":"25%"}}"#,
        ],
        expect: &[Field {
            object: "PodDisruptionBudget/web",
            path: "/spec/minAvailable",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "change a PDB's eviction policy",
        kubectl: &[
            "patch",
            "pdb/db",
            "--type=merge",
            "-p",
            r#"{"spec":{"unhealthyPodEvictionPolicy":"IfHealthyBudget"}}"#,
        ],
        expect: &[Field {
            object: "PodDisruptionBudget/db",
            path: "/spec/unhealthyPodEvictionPolicy",
            manager: Some("kubectl-patch"),
        }],
    },
    // policyTypes is an atomic list whose length changes: the whole list.
    Mutation {
        what: "widen a NetworkPolicy's types",
        kubectl: &[
            "patch",
            "networkpolicy/default-deny-ingress",
            "--type=merge",
            "-p",
            r#"{"spec":{"policyTypes":["Ingress","Egress"]}}"#,
        ],
        expect: &[Field {
            object: "NetworkPolicy/default-deny-ingress",
            path: "/spec/policyTypes",
            manager: Some("kubectl-patch"),
        }],
    },
    // verbs is an atomic list: the whole list of rule 0.
    Mutation {
        what: "add a verb to a Role rule",
        kubectl: &[
            "patch",
            "role/config-reader",
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]"#,
        ],
        expect: &[Field {
            object: "Role/config-reader",
            path: "/rules/0/verbs",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "change an Ingress host",
        kubectl: &[
            "patch",
            "ingress/api",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/rules/0/host","value":"*.api2.example.com"}]"#,
        ],
        expect: &[Field {
            object: "Ingress/api",
            path: "/spec/rules/0/host",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "re-annotate an Ingress",
        kubectl: &[
            "annotate",
            "ingress/web",
            "nginx.ingress.kubernetes.io/proxy-body-size=16m",
            "--overwrite",
        ],
        expect: &[Field {
            object: "Ingress/web",
            path: "/metadata/annotations/nginx.ingress.kubernetes.io~1proxy-body-size",
            manager: Some("kubectl-annotate"),
        }],
    },
    Mutation {
        what: "raise a LimitRange max",
        kubectl: &[
            "patch",
            "limitrange/defaults",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/limits/0/max/memory","value":"16Gi"}]"#,
        ],
        expect: &[Field {
            object: "LimitRange/defaults",
            path: "/spec/limits/0/max/memory",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "raise a ResourceQuota",
        kubectl: &[
            "patch",
            "resourcequota/compute",
            "--type=merge",
            "-p",
            r#"{"spec":{"hard":{"pods":"200"}}}"#,
        ],
        expect: &[Field {
            object: "ResourceQuota/compute",
            path: "/spec/hard/pods",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "turn token automount off",
        kubectl: &[
            "patch",
            "serviceaccount/node-agent",
            "--type=merge",
            "-p",
            r#"{"automountServiceAccountToken":false}"#,
        ],
        expect: &[Field {
            object: "ServiceAccount/node-agent",
            path: "/automountServiceAccountToken",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "scale a StatefulSet",
        kubectl: &["scale", "statefulset/cache", "--replicas=3"],
        expect: &[Field {
            object: "StatefulSet/cache",
            path: "/spec/replicas",
            manager: Some("kubectl"),
        }],
    },
    Mutation {
        what: "set a StatefulSet partition",
        kubectl: &[
            "patch",
            "statefulset/db",
            "--type=merge",
            "-p",
            r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}"#,
        ],
        expect: &[Field {
            object: "StatefulSet/db",
            path: "/spec/updateStrategy/rollingUpdate/partition",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "slow a DaemonSet rollout",
        kubectl: &[
            "patch",
            "daemonset/log-shipper",
            "--type=merge",
            "-p",
            r#"{"spec":{"minReadySeconds":30}}"#,
        ],
        expect: &[Field {
            object: "DaemonSet/log-shipper",
            path: "/spec/minReadySeconds",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "extend a Job's deadline",
        kubectl: &[
            "patch",
            "job/db-migrate",
            "--type=merge",
            "-p",
            r#"{"spec":{"activeDeadlineSeconds":3600}}"#,
        ],
        expect: &[Field {
            object: "Job/db-migrate",
            path: "/spec/activeDeadlineSeconds",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "keep a Job longer",
        kubectl: &[
            "patch",
            "job/reindex",
            "--type=merge",
            "-p",
            r#"{"spec":{"ttlSecondsAfterFinished":172800}}"#,
        ],
        expect: &[Field {
            object: "Job/reindex",
            path: "/spec/ttlSecondsAfterFinished",
            manager: Some("kubectl-patch"),
        }],
    },
    // Custom resources are addressed by their group: the kind exists once per test namespace.
    Mutation {
        what: "scale a Widget",
        kubectl: &[
            "patch",
            "widgets.__NS__.corpus.kdrift.dev/explicit",
            "--type=merge",
            "-p",
            r#"{"spec":{"replicas":2}}"#,
        ],
        expect: &[Field {
            object: "Widget/explicit",
            path: "/spec/replicas",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "disable a Widget's backup",
        kubectl: &[
            "patch",
            "widgets.__NS__.corpus.kdrift.dev/partial",
            "--type=merge",
            "-p",
            r#"{"spec":{"storage":{"backup":{"enabled":false}}}}"#,
        ],
        expect: &[Field {
            object: "Widget/partial",
            path: "/spec/storage/backup/enabled",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "move a BackupSchedule",
        kubectl: &[
            "patch",
            "backupschedules.__NS__.corpus.kdrift.dev/db-nightly",
            "--type=merge",
            "-p",
            r#"{"spec":{"schedule":"0 3 * * *"}}"#,
        ],
        expect: &[Field {
            object: "BackupSchedule/db-nightly",
            path: "/spec/schedule",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "keep more backups",
        kubectl: &[
            "patch",
            "backupschedules.__NS__.corpus.kdrift.dev/data-hourly",
            "--type=merge",
            "-p",
            r#"{"spec":{"retention":{"keepLast":48}}}"#,
        ],
        expect: &[Field {
            object: "BackupSchedule/data-hourly",
            path: "/spec/retention/keepLast",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "slow a readiness probe",
        kubectl: &[
            "patch",
            "deployment/web",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","readinessProbe":{"periodSeconds":20}}]}}}}"#,
        ],
        expect: &[Field {
            object: "Deployment/web",
            path: "/spec/template/spec/containers[name=web]/readinessProbe/periodSeconds",
            manager: Some("kubectl-patch"),
        }],
    },
    // containers/0 is redis.
    Mutation {
        what: "remove a liveness probe",
        kubectl: &[
            "patch",
            "statefulset/cache",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/spec/template/spec/containers/0/livenessProbe"}]"#,
        ],
        expect: &[Field {
            object: "StatefulSet/cache",
            path: "/spec/template/spec/containers[name=redis]/livenessProbe",
            manager: None,
        }],
    },
    Mutation {
        what: "change a rollout strategy",
        kubectl: &[
            "patch",
            "deployment/web",
            "--type=merge",
            "-p",
            r#"{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":2}}}}"#,
        ],
        expect: &[Field {
            object: "Deployment/web",
            path: "/spec/strategy/rollingUpdate/maxUnavailable",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "change a template annotation",
        kubectl: &[
            "patch",
            "deployment/web",
            "--type=merge",
            "-p",
            r#"{"spec":{"template":{"metadata":{"annotations":{"prometheus.io/scrape":"false"}}}}}"#,
        ],
        expect: &[Field {
            object: "Deployment/web",
            path: "/spec/template/metadata/annotations/prometheus.io~1scrape",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "relabel a PVC",
        kubectl: &[
            "label",
            "pvc/data",
            "app.kubernetes.io/name=batch",
            "--overwrite",
        ],
        expect: &[Field {
            object: "PersistentVolumeClaim/data",
            path: "/metadata/labels/app.kubernetes.io~1name",
            manager: Some("kubectl-label"),
        }],
    },
    Mutation {
        what: "set a Pod's image",
        kubectl: &[
            "set",
            "image",
            "pod/debug",
            "toolbox=nicolaka/netshoot:v0.14",
        ],
        expect: &[Field {
            object: "Pod/debug",
            path: "/spec/containers[name=toolbox]/image",
            manager: Some("kubectl-set"),
        }],
    },
    // endpoints is atomic and keeps its length: by index.
    Mutation {
        what: "repoint an EndpointSlice",
        kubectl: &[
            "patch",
            "endpointslice/legacy-db-1",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/endpoints/0/addresses/0","value":"10.20.30.50"}]"#,
        ],
        expect: &[Field {
            object: "EndpointSlice/legacy-db-1",
            path: "/endpoints/0/addresses/0",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "move an ExternalName",
        kubectl: &[
            "patch",
            "service/payments",
            "--type=merge",
            "-p",
            r#"{"spec":{"externalName":"payments.other.example.com"}}"#,
        ],
        expect: &[Field {
            object: "Service/payments",
            path: "/spec/externalName",
            manager: Some("kubectl-patch"),
        }],
    },
    // containerPort is part of the item's key: git's item is gone, the new one is an addition.
    Mutation {
        what: "change a container port",
        kubectl: &[
            "patch",
            "deployment/echo",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/template/spec/containers/0/ports/0/containerPort","value":5679}]"#,
        ],
        expect: &[Field {
            object: "Deployment/echo",
            path: "/spec/template/spec/containers[name=echo]/ports[containerPort=5678,protocol=TCP]",
            manager: None,
        }],
    },
    Mutation {
        what: "change a readiness probe path",
        kubectl: &[
            "patch",
            "deployment/api",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"api","readinessProbe":{"httpGet":{"path":"/api/ready"}}}]}}}}"#,
        ],
        expect: &[Field {
            object: "Deployment/api",
            path: "/spec/template/spec/containers[name=api]/readinessProbe/httpGet/path",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "re-annotate a Secret",
        kubectl: &[
            "annotate",
            "secret/metrics-basic-auth",
            "corpus.kdrift.dev/rotated=2026-03-01",
            "--overwrite",
        ],
        expect: &[Field {
            object: "Secret/metrics-basic-auth",
            path: "/metadata/annotations/corpus.kdrift.dev~1rotated",
            manager: Some("kubectl-annotate"),
        }],
    },
    Mutation {
        what: "change a Widget's image",
        kubectl: &[
            "patch",
            "widgets.__NS__.corpus.kdrift.dev/minimal",
            "--type=merge",
            "-p",
            r#"{"spec":{"image":"registry.example.com/widgets/minimal:1.0.1"}}"#,
        ],
        expect: &[Field {
            object: "Widget/minimal",
            path: "/spec/image",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "change a sidecar's requests",
        kubectl: &[
            "set",
            "resources",
            "statefulset/cache",
            "-c",
            "exporter",
            "--requests=cpu=20m",
        ],
        expect: &[Field {
            object: "StatefulSet/cache",
            path: "/spec/template/spec/containers[name=exporter]/resources/requests/cpu",
            manager: Some("kubectl-set"),
        }],
    },
    Mutation {
        what: "narrow LB source ranges",
        kubectl: &[
            "patch",
            "service/web-public",
            "--type=merge",
            "-p",
            r#"{"spec":{"loadBalancerSourceRanges":["10.0.0.0/8"]}}"#,
        ],
        expect: &[Field {
            object: "Service/web-public",
            path: "/spec/loadBalancerSourceRanges/0",
            manager: Some("kubectl-patch"),
        }],
    },
    // An unnamed port, keyed by port and protocol: git's item is gone, the new one is an addition.
    Mutation {
        what: "change a Service port",
        kubectl: &[
            "patch",
            "service/echo",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/ports/0/port","value":5679}]"#,
        ],
        expect: &[Field {
            object: "Service/echo",
            path: "/spec/ports[port=5678,protocol=TCP]",
            manager: None,
        }],
    },
    Mutation {
        what: "remove a Service annotation",
        kubectl: &[
            "annotate",
            "service/web-public",
            "service.beta.kubernetes.io/aws-load-balancer-scheme-",
        ],
        expect: &[Field {
            object: "Service/web-public",
            path: "/metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-scheme",
            manager: None,
        }],
    },
    Mutation {
        what: "relabel a RoleBinding",
        kubectl: &[
            "label",
            "rolebinding/config-reader",
            "app.kubernetes.io/part-of=platform",
            "--overwrite",
        ],
        expect: &[Field {
            object: "RoleBinding/config-reader",
            path: "/metadata/labels/app.kubernetes.io~1part-of",
            manager: Some("kubectl-label"),
        }],
    },
    Mutation {
        what: "change a DaemonSet's maxUnavailable",
        kubectl: &[
            "patch",
            "daemonset/node-agent",
            "--type=merge",
            "-p",
            r#"{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":"20%"}}}}"#,
        ],
        expect: &[Field {
            object: "DaemonSet/node-agent",
            path: "/spec/updateStrategy/rollingUpdate/maxUnavailable",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "widen a NetworkPolicy ipBlock",
        kubectl: &[
            "patch",
            "networkpolicy/db",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/egress/1/to/0/ipBlock/cidr","value":"10.0.0.0/9"}]"#,
        ],
        expect: &[Field {
            object: "NetworkPolicy/db",
            path: "/spec/egress/1/to/0/ipBlock/cidr",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "remove a Deployment annotation",
        kubectl: &["annotate", "deployment/web", "corpus.kdrift.dev/runbook-"],
        expect: &[Field {
            object: "Deployment/web",
            path: "/metadata/annotations/corpus.kdrift.dev~1runbook",
            manager: None,
        }],
    },
    Mutation {
        what: "allow a Job more failed indexes",
        kubectl: &[
            "patch",
            "job/reindex",
            "--type=merge",
            "-p",
            r#"{"spec":{"maxFailedIndexes":2}}"#,
        ],
        expect: &[Field {
            object: "Job/reindex",
            path: "/spec/maxFailedIndexes",
            manager: Some("kubectl-patch"),
        }],
    },
    // tags is an atomic list of the same length: by index.
    Mutation {
        what: "change a Widget tag",
        kubectl: &[
            "patch",
            "widgets.__NS__.corpus.kdrift.dev/partial",
            "--type=merge",
            "-p",
            r#"{"spec":{"tags":["blue","stable"]}}"#,
        ],
        expect: &[Field {
            object: "Widget/partial",
            path: "/spec/tags/1",
            manager: Some("kubectl-patch"),
        }],
    },
    // containers/0 is worker.
    Mutation {
        what: "change a container arg",
        kubectl: &[
            "patch",
            "deployment/worker",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/template/spec/containers/0/args/1","value":"--concurrency=16"}]"#,
        ],
        expect: &[Field {
            object: "Deployment/worker",
            path: "/spec/template/spec/containers[name=worker]/args/1",
            manager: Some("kubectl-patch"),
        }],
    },
    // cases the first version of kdrift reported wrongly (provenance of named Service ports and
    // of atomic fields, a server-kept annotation, the last annotation removed)
    Mutation {
        what: "retarget a named Service port",
        kubectl: &[
            "patch",
            "service/legacy-db",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/ports/0/targetPort","value":5433}]"#,
        ],
        expect: &[Field {
            object: "Service/legacy-db",
            // the server's own merge keys for Service ports, from its schema
            path: "/spec/ports[port=5432,protocol=TCP]/targetPort",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "point a headless Service's selector elsewhere",
        kubectl: &[
            "patch",
            "service/cache-headless",
            "--type=merge",
            "-p",
            r#"{"spec":{"selector":{"app":"cache-v2"}}}"#,
        ],
        expect: &[Field {
            object: "Service/cache-headless",
            path: "/spec/selector/app",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "rename a RoleBinding's subject",
        kubectl: &[
            "patch",
            "rolebinding/worker-reader",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/subjects/1/name","value":"oncall-2@example.com"}]"#,
        ],
        // `subjects` is atomic in the schema: compared in order, the second one's name changed
        expect: &[Field {
            object: "RoleBinding/worker-reader",
            path: "/subjects/1/name",
            manager: Some("kubectl-patch"),
        }],
    },
    Mutation {
        what: "set a DaemonSet's image (the server bumps its template generation: not drift)",
        kubectl: &[
            "set",
            "image",
            "daemonset/node-agent",
            "node-exporter=quay.io/prometheus/node-exporter:v1.9.0",
        ],
        expect: &[Field {
            object: "DaemonSet/node-agent",
            path: "/spec/template/spec/containers[name=node-exporter]/image",
            manager: Some("kubectl-set"),
        }],
    },
    Mutation {
        what: "remove a Job's only annotation",
        kubectl: &[
            "annotate",
            "job/db-migrate",
            "corpus.kdrift.dev/schema-version-",
        ],
        expect: &[Field {
            object: "Job/db-migrate",
            path: "/metadata/annotations/corpus.kdrift.dev~1schema-version",
            manager: None,
        }],
    },
];

/// What `check` reported: one entry per changed field of a modified object, one per missing
/// object.
fn reported(json: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in json["resources"].as_array().unwrap() {
        let object = format!(
            "{}/{}",
            r["kind"].as_str().unwrap(),
            r["name"].as_str().unwrap()
        );
        match r["status"].as_str().unwrap() {
            "in_sync" => {}
            "missing" => {
                out.insert(format!("missing {object}"));
            }
            "modified" => {
                for c in r["changes"].as_array().unwrap() {
                    let manager = c["manager"].as_str().unwrap_or("-");
                    out.insert(format!(
                        "{object} {} by {manager}",
                        c["path"].as_str().unwrap()
                    ));
                }
            }
            other => {
                out.insert(format!("{other} {object}: {}", r["message"]));
            }
        }
    }
    out
}

/// What the table expects, `__NS__` made the namespace (cluster-scoped names carry it).
fn expected(ns: &str) -> BTreeSet<String> {
    MUTATIONS
        .iter()
        .flat_map(|m| m.expect)
        .map(|e| match e {
            Field {
                object,
                path,
                manager,
            } => format!("{object} {path} by {}", manager.unwrap_or("-")),
            Missing(object) => format!("missing {object}"),
        })
        .map(|e| e.replace("__NS__", ns))
        .collect()
}

#[test]
fn every_hand_edit_is_reported_on_its_field_with_its_manager_and_nothing_else() {
    assert!(MUTATIONS.len() >= 40, "{} mutations", MUTATIONS.len());
    let (tb, _shared) = testbed();
    let ns = unique("t-mutate");
    let applied = applied_corpus(&tb, &ns, true);
    for m in MUTATIONS {
        let args: Vec<String> = m.kubectl.iter().map(|a| a.replace("__NS__", &ns)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tb.kubectl(&[&["-n", ns.as_str()], args.as_slice()].concat());
        eprintln!("mutated: {}", m.what);
    }
    let flags = ["--path", "plain", "--namespace", &ns];
    let (code, json, stderr) = tb.check_with(&applied.repo, &tb.admin, &flags);
    assert_eq!(code, 1, "{stderr}");
    let got = reported(&json);
    let want = expected(&ns);
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "not reported: {missed:#?}\nreported but not made: {extra:#?}"
    );
    cleanup(&tb, &ns);
}
