#![allow(clippy::panic, clippy::unwrap_used)]
//! Kubernetes manifests: every Pod Security Standards control with a failing and a passing
//! example, the standards' own example pod judged as the Kubernetes documentation says, hostile
//! YAML.

use crate::k8s::check_manifests;

fn testdata(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/k8s").join(name);
    std::fs::read_to_string(&p).unwrap()
}

fn hits(text: &str) -> Vec<(&'static str, usize)> {
    check_manifests(text).unwrap_or_else(|e| panic!("{e}: {text}")).into_iter().map(|h| (h.0, h.1)).collect()
}

/// A pod that passes every check; `container` and `pod` are YAML lines added to its container's
/// and its pod's `securityContext` (indented by the caller), `extra` to the pod spec.
fn pod(container_sc: &str, pod_sc: &str, extra: &str) -> String {
    // A default the test sets itself is left out (YAML refuses a key twice).
    let keep = |line: &str, given: &str| {
        let key = line.trim().split(':').next().unwrap_or("");
        if given.contains(&format!("{key}:")) { String::new() } else { format!("{line}\n") }
    };
    let mut t =
        String::from("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: false\n  securityContext:\n");
    for l in ["    runAsNonRoot: true", "    seccompProfile: {type: RuntimeDefault}"] {
        t.push_str(&keep(l, pod_sc));
    }
    if !pod_sc.is_empty() {
        t.push_str(&format!("{pod_sc}\n"));
    }
    t.push_str("  containers:\n    - name: c\n      image: registry.example.com/app:1.0\n      resources: {limits: {cpu: 100m, memory: 64Mi}}\n      securityContext:\n");
    for l in ["        allowPrivilegeEscalation: false", "        readOnlyRootFilesystem: true", "        capabilities: {drop: [ALL]}"] {
        t.push_str(&keep(l, container_sc));
    }
    if !container_sc.is_empty() {
        t.push_str(&format!("{container_sc}\n"));
    }
    if !extra.is_empty() {
        t.push_str(&format!("{extra}\n"));
    }
    t
}

/// Exactly `check` fires on the changed pod.
fn fails(check: &str, container_sc: &str, pod_sc: &str, extra: &str) {
    let text = pod(container_sc, pod_sc, extra);
    let got: Vec<&str> = hits(&text).into_iter().map(|h| h.0).collect();
    assert_eq!(got, vec![check], "{text}");
}

fn passes(container_sc: &str, pod_sc: &str, extra: &str) {
    let text = pod(container_sc, pod_sc, extra);
    assert_eq!(hits(&text), vec![], "{text}");
}

#[test]
fn the_clean_pod_and_the_restricted_deployment_pass() {
    passes("", "", "");
    // A Service, a Deployment meeting the restricted profile (with AppArmor, a safe sysctl,
    // NET_BIND_SERVICE, emptyDir and configMap volumes, a digest-pinned image).
    assert_eq!(hits(&testdata("restricted.yaml")), vec![]);
}

#[test]
fn every_baseline_control_at_its_line() {
    // testdata/k8s/privileged.yaml breaks each baseline control once; the lines by hand.
    assert_eq!(
        hits(&testdata("privileged.yaml")),
        vec![
            ("DRG-K8S-007", 10), // AppArmor annotation: unconfined
            ("DRG-K8S-002", 13), // hostNetwork
            ("DRG-K8S-002", 14), // hostPID
            ("DRG-K8S-002", 15), // hostIPC
            ("DRG-K8S-011", 21), // kernel.msgmax
            ("DRG-K8S-008", 24), // seLinuxOptions.user
            ("DRG-K8S-001", 29), // privileged
            ("DRG-K8S-009", 32), // procMount: Unmasked
            ("DRG-K8S-015", 33), // runAsUser: 0
            ("DRG-K8S-005", 36), // add SYS_ADMIN
            ("DRG-K8S-004", 39), // hostPort
            ("DRG-K8S-019", 43), // the init container has no limits
            ("DRG-K8S-010", 49), // init container seccomp Unconfined
            ("DRG-K8S-006", 51), // init container hostProcess
            ("DRG-K8S-003", 57), // hostPath volume
            ("DRG-K8S-012", 60), // nfs volume (restricted)
        ]
    );
}

#[test]
fn the_pod_security_standards_example_pod() {
    // kubernetes/website content/en/examples/security/example-baseline-pod.yaml (pinned in
    // testdata/k8s/SOURCES). The documentation ("Apply Pod Security Standards at the cluster
    // level") shows it admitted by baseline, with four restricted warnings: allowPrivilegeEscalation
    // != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile. dredge says the
    // same, and adds its own checks (untagged image, limits, read-only root, token).
    let h = hits(&testdata("example-baseline-pod.yaml"));
    let n = |id: &str| id["DRG-K8S-".len()..].parse::<u32>().unwrap();
    let baseline: Vec<&str> = h.iter().map(|h| h.0).filter(|id| n(id) <= 11).collect();
    assert_eq!(baseline, Vec::<&str>::new(), "{h:?}");
    let restricted: Vec<&str> = h.iter().map(|h| h.0).filter(|id| (12..=17).contains(&n(id))).collect();
    assert_eq!(restricted, vec!["DRG-K8S-013", "DRG-K8S-014", "DRG-K8S-016", "DRG-K8S-017"]);
    assert_eq!(
        h,
        vec![
            ("DRG-K8S-021", 2),
            ("DRG-K8S-018", 7),
            ("DRG-K8S-013", 8),
            ("DRG-K8S-014", 8),
            ("DRG-K8S-016", 8),
            ("DRG-K8S-017", 8),
            ("DRG-K8S-019", 8),
            ("DRG-K8S-020", 8),
        ]
    );
    // Its SHA-256 is the pinned upstream file's.
    let sources = testdata("SOURCES");
    assert!(sources.contains("30be00caee37afb4b9ce822bc8fc769003cf5d9440b3968673c5cd775af726c5  example-baseline-pod.yaml"));
}

#[test]
fn baseline_controls_one_by_one() {
    let sc = |s: &str| format!("        {s}");
    let psc = |s: &str| format!("    {s}");
    let ctr = |s: &str| format!("      {s}");
    fails("DRG-K8S-001", &sc("privileged: true"), "", "");
    passes(&sc("privileged: false"), "", "");
    fails("DRG-K8S-002", "", "", "  hostPID: true");
    passes("", "", "  hostNetwork: false\n  hostPID: false\n  hostIPC: false");
    fails("DRG-K8S-003", "", "", "  volumes:\n    - name: v\n      hostPath: {path: /var/run/docker.sock}");
    fails("DRG-K8S-004", &ctr("ports: [{containerPort: 80, hostPort: 8080}]"), "", "");
    passes(&ctr("ports: [{containerPort: 80, hostPort: 0}]"), "", "");
    fails("DRG-K8S-005", &sc("capabilities: {drop: [ALL], add: [NET_ADMIN]}"), "", "");
    fails("DRG-K8S-006", "", &psc("windowsOptions: {hostProcess: true}"), "");
    fails("DRG-K8S-007", &sc("appArmorProfile: {type: Unconfined}"), "", "");
    passes(&sc("appArmorProfile: {type: Localhost, localhostProfile: k8s-apparmor}"), "", "");
    fails("DRG-K8S-008", "", &psc("seLinuxOptions: {type: spc_t}"), "");
    passes(&sc("seLinuxOptions: {type: container_init_t, level: \"s0:c123,c456\"}"), "", "");
    fails("DRG-K8S-009", &sc("procMount: Unmasked"), "", "");
    passes(&sc("procMount: Default"), "", "");
    fails("DRG-K8S-010", "", &psc("seccompProfile: {type: Unconfined}"), "");
    fails("DRG-K8S-011", "", &psc("sysctls: [{name: net.core.somaxconn, value: \"1024\"}]"), "");
    passes("", &psc("sysctls: [{name: net.ipv4.ping_group_range, value: \"0 1\"}]"), "");
}

#[test]
fn restricted_controls_one_by_one() {
    let sc = |s: &str| format!("        {s}");
    fails("DRG-K8S-012", "", "", "  volumes:\n    - name: v\n      gitRepo: {repository: https://example.com/r.git}");
    passes(
        "",
        "",
        "  volumes:\n    - name: a\n      emptyDir: {}\n    - name: b\n      projected: {sources: []}\n    - name: c\n      persistentVolumeClaim: {claimName: data}",
    );
    fails("DRG-K8S-013", &sc("allowPrivilegeEscalation: true"), "", "");
    // The container's runAsNonRoot overrides the pod's.
    fails("DRG-K8S-014", &sc("runAsNonRoot: false"), "", "");
    fails("DRG-K8S-015", &sc("runAsUser: 0"), "", "");
    passes(&sc("runAsUser: 1000"), "", "");
    fails("DRG-K8S-017", &sc("capabilities: {drop: [ALL], add: [CHOWN]}"), "", "");
    fails("DRG-K8S-017", &sc("capabilities: {drop: [NET_RAW]}"), "", "");
    passes(&sc("capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}"), "", "");
    // seccomp: the pod's RuntimeDefault covers the container; a container's Localhost too.
    let no_pod_seccomp = |t: String| t.replace("    seccompProfile: {type: RuntimeDefault}\n", "");
    let t = no_pod_seccomp(pod("", "", ""));
    assert_eq!(hits(&t).into_iter().map(|h| h.0).collect::<Vec<_>>(), vec!["DRG-K8S-016"], "{t}");
    let t = no_pod_seccomp(pod(&sc("seccompProfile: {type: Localhost, localhostProfile: p.json}"), "", ""));
    assert_eq!(hits(&t), vec![], "{t}");
    // Windows pods are exempt from the privilege-escalation, seccomp and capabilities controls
    // (Linux kernel features): a pod that fails all three on Linux passes them as Windows, and
    // still fails the controls that apply to it.
    let linux_only = |t: String| {
        t.replace("    seccompProfile: {type: RuntimeDefault}\n", "")
            .replace("        allowPrivilegeEscalation: false\n", "")
            .replace("        capabilities: {drop: [ALL]}\n", "        capabilities: {add: [CHOWN]}\n")
    };
    let linux = linux_only(pod("", "", ""));
    assert_eq!(
        hits(&linux).into_iter().map(|h| h.0).collect::<Vec<_>>(),
        vec!["DRG-K8S-013", "DRG-K8S-016", "DRG-K8S-017", "DRG-K8S-017"],
        "{linux}"
    );
    let windows = linux_only(pod("", "", "  os: {name: windows}"));
    assert_eq!(hits(&windows), vec![], "{windows}");
    let windows = linux_only(pod(&sc("runAsNonRoot: false"), "", "  os: {name: windows}"));
    assert_eq!(hits(&windows).into_iter().map(|h| h.0).collect::<Vec<_>>(), vec!["DRG-K8S-014"], "{windows}");
}

#[test]
fn beyond_the_standards() {
    let text = pod("", "", "").replace("registry.example.com/app:1.0", "nginx:latest");
    assert_eq!(hits(&text).into_iter().map(|h| h.0).collect::<Vec<_>>(), vec!["DRG-K8S-018"]);
    let text =
        pod("", "", "").replace("      resources: {limits: {cpu: 100m, memory: 64Mi}}\n", "      resources: {limits: {cpu: 100m}}\n");
    assert_eq!(hits(&text).into_iter().map(|h| h.0).collect::<Vec<_>>(), vec!["DRG-K8S-019"]);
    fails("DRG-K8S-020", "        readOnlyRootFilesystem: false", "", "");
    let text = pod("", "", "").replace("  automountServiceAccountToken: false\n", "");
    assert_eq!(hits(&text), vec![("DRG-K8S-021", 2)]);
}

#[test]
fn every_workload_kind_and_json() {
    // The CronJob's pod spec is three levels down; JSON is YAML.
    let h = hits(&testdata("cronjob.json"));
    assert!(h.contains(&("DRG-K8S-018", 13)) && h.contains(&("DRG-K8S-021", 3)), "{h:?}");
    for kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"] {
        let t = format!(
            "apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: x}}\nspec:\n  template:\n    spec:\n      hostIPC: true\n      containers: []\n"
        );
        assert_eq!(hits(&t), vec![("DRG-K8S-021", 2), ("DRG-K8S-002", 7)], "{kind}");
    }
    // A List of them; other kinds and empty documents are not workloads.
    let t = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec:\n      hostPID: true\n---\n---\napiVersion: v1\nkind: ConfigMap\ndata: {hostPID: \"true\"}\n";
    assert_eq!(hits(t), vec![("DRG-K8S-021", 5), ("DRG-K8S-002", 8)]);
}

#[test]
fn bad_manifests_are_errors_with_a_line() {
    let e = check_manifests("apiVersion: v1\nkind: Pod\nspec:\n  hostPID: [unclosed\n").unwrap_err();
    assert!(e.line >= 4, "{e}");
    let e = check_manifests("apiVersion: v1\nkind: Pod\nspec:\n  hostPID: \"yes please\"\n").unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(check_manifests(&"x".repeat(crate::k8s::MAX_MANIFEST + 1)).unwrap_err().to_string().contains("MiB"));
}

#[test]
fn yaml_bombs_and_deep_nesting_stop_at_the_budget() {
    let t = std::time::Instant::now();
    // Billion laughs: nine levels of nine aliases.
    let mut bomb = String::from("apiVersion: v1\nkind: Pod\nmetadata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!("  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    let _ = check_manifests(&bomb);
    let deep = format!("apiVersion: v1\nkind: Pod\nspec: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(check_manifests(&deep).is_err());
    let docs = "apiVersion: v1\nkind: Pod\nspec: {hostPID: true}\n---\n".repeat(20_000);
    let _ = check_manifests(&docs);
    let long_line = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {}}}\n", "x".repeat(3 << 20));
    let _ = check_manifests(&long_line);
    for junk in ["\u{0}", "- - - -", "kind: Pod\napiVersion: [", ":\n:", "apiVersion: v1\nkind: Pod\nspec: 7\n", "? [a]\n: b"] {
        let _ = check_manifests(junk);
    }
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
}

#[test]
fn null_fields_duplicate_keys_and_exact_names() {
    // `annotations: null`, an empty `volumes:`, `add:` with nothing: unset, as Kubernetes reads
    // them; the rest of the pod is still checked. A key given twice keeps its last value.
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: n\n  annotations: null\nspec:\n  volumes:\n  containers:\n    - name: c\n      image: a:1\n      securityContext:\n        privileged: false\n        privileged: true\n        capabilities: {add: }\n";
    let h = hits(t);
    assert!(h.contains(&("DRG-K8S-001", 13)), "{h:?}");
    // Capability names match the standard exactly: `CAP_CHOWN` is not `CHOWN`, `all` is not `ALL`.
    let sc = |s: &str| format!("        {s}");
    fails("DRG-K8S-005", &sc("capabilities: {drop: [ALL], add: [CAP_CHOWN]}"), "", "");
    fails("DRG-K8S-017", &sc("capabilities: {drop: [all]}"), "", "");
}

#[test]
fn a_finding_names_its_document_in_a_multi_document_file() {
    let privileged = pod("        privileged: true", "", "");
    let text = format!("{}---\n{privileged}", pod("", "", ""));
    let h = check_manifests(&text).unwrap();
    let p: Vec<_> = h.iter().filter(|h| h.0 == "DRG-K8S-001").collect();
    assert_eq!(p.len(), 1, "{h:#?}");
    assert!(p[0].2.starts_with("document 2: Pod p: container c: privileged: true"), "{:?}", p[0]);
    // One document: no number.
    let h = check_manifests(&privileged).unwrap();
    assert!(h.iter().any(|h| h.0 == "DRG-K8S-001" && h.2.starts_with("Pod p: ")), "{h:#?}");
}
