//! Kubernetes manifests: the workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! ReplicationController, Job, CronJob, and `List`s of them) in multi-document YAML or JSON, judged
//! against the Pod Security Standards (baseline and restricted, every control) and a few more
//! checks (image tag, resource limits, read-only root, service-account token). Each finding has
//! the document and the line (serde-saphyr's spans); YAML bombs stop at its budget.

use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// `(check id, line, evidence)`.
pub type K8sHit = (&'static str, usize, String);

/// A manifest larger than this is not parsed (a warning says so).
pub const MAX_MANIFEST: usize = 4 << 20;

type S<T> = Option<Spanned<T>>;

/// `volumes:` with nothing after it, `annotations: null`: Kubernetes reads them as unset.
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Doc {
    api_version: S<String>,
    kind: S<String>,
    #[serde(deserialize_with = "nullable")]
    metadata: Meta,
    spec: Option<Spec>,
    /// `kind: List`.
    #[serde(deserialize_with = "nullable")]
    items: Vec<Doc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Meta {
    name: S<String>,
    #[serde(deserialize_with = "nullable")]
    annotations: BTreeMap<String, Spanned<String>>,
}

/// A pod spec, and the fields that lead to one (`template`, `jobTemplate`): one recursive type for
/// every workload kind.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Spec {
    template: Option<Box<Template>>,
    job_template: Option<Box<Template>>,
    host_network: S<bool>,
    #[serde(rename = "hostPID")]
    host_pid: S<bool>,
    #[serde(rename = "hostIPC")]
    host_ipc: S<bool>,
    security_context: Option<SecurityContext>,
    #[serde(deserialize_with = "nullable")]
    containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    init_containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    ephemeral_containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    volumes: Vec<BTreeMap<String, Spanned<serde_json::Value>>>,
    automount_service_account_token: S<bool>,
    os: Option<PodOs>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PodOs {
    name: S<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Template {
    #[serde(deserialize_with = "nullable")]
    metadata: Meta,
    spec: Option<Spec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Container {
    name: S<String>,
    image: S<String>,
    security_context: Option<SecurityContext>,
    #[serde(deserialize_with = "nullable")]
    ports: Vec<Port>,
    #[serde(deserialize_with = "nullable")]
    resources: Resources,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Port {
    host_port: S<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Resources {
    #[serde(deserialize_with = "nullable")]
    limits: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SecurityContext {
    privileged: S<bool>,
    allow_privilege_escalation: S<bool>,
    run_as_non_root: S<bool>,
    run_as_user: S<i64>,
    read_only_root_filesystem: S<bool>,
    proc_mount: S<String>,
    capabilities: Option<Capabilities>,
    seccomp_profile: Option<Profile>,
    app_armor_profile: Option<Profile>,
    #[serde(rename = "seLinuxOptions")]
    se_linux_options: Option<SeLinux>,
    windows_options: Option<WindowsOptions>,
    #[serde(deserialize_with = "nullable")]
    sysctls: Vec<Sysctl>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Capabilities {
    #[serde(deserialize_with = "nullable")]
    add: Vec<Spanned<String>>,
    #[serde(deserialize_with = "nullable")]
    drop: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Profile {
    #[serde(rename = "type")]
    kind: S<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SeLinux {
    #[serde(rename = "type")]
    kind: S<String>,
    user: S<String>,
    role: S<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct WindowsOptions {
    host_process: S<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Sysctl {
    name: S<String>,
}

/// Why a manifest could not be read: the line (0 when unknown) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{msg}", if *line > 0 { format!("line {line}: ") } else { String::new() })]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

/// Whether `text` looks like a Kubernetes manifest (cheap: before parsing).
pub fn looks_like_manifest(head: &[u8]) -> bool {
    let h = String::from_utf8_lossy(head);
    h.contains("apiVersion") && h.contains("kind")
}

const WORKLOADS: &[&str] = &["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"];

/// The capabilities the baseline profile allows to add.
const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
/// Namespaced sysctls the baseline profile allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SELINUX_TYPES: &[&str] = &["container_t", "container_init_t", "container_kvm_t", "container_engine_t"];
const RESTRICTED_VOLUMES: &[&str] =
    &["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/// Parses every document of `text` and checks its workloads. A document that is not a workload
/// (a Service, a ConfigMap) has nothing to check; one that does not parse is an error for the
/// whole file (its line says where).
pub fn check_manifests(text: &str) -> Result<Vec<K8sHit>, ParseError> {
    if text.len() > MAX_MANIFEST {
        return Err(ParseError {
            line: 0,
            msg: format!("{} bytes, more than the {} MiB a manifest may have here; not checked", text.len(), MAX_MANIFEST >> 20),
        });
    }
    let docs: Vec<Option<Doc>> = serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| ParseError { line: error_line(&e), msg: first_line(&e.to_string()) })?;
    let mut out = Vec::new();
    let several = docs.len() > 1;
    for (i, d) in docs.iter().enumerate() {
        let Some(d) = d else { continue };
        let from = out.len();
        doc(d, &mut out);
        for item in &d.items {
            doc(item, &mut out);
        }
        // In a multi-document file, which document (1-based, as people count them; a policy's
        // `index` is 0-based).
        if several {
            for h in &mut out[from..] {
                h.2 = format!("document {}: {}", i + 1, h.2);
            }
        }
    }
    out.sort_by(|a, b| (a.1, a.0, &a.2).cmp(&(b.1, b.0, &b.2)));
    out.dedup();
    Ok(out)
}

/// A key given twice keeps its last value, as the API server does (`{"privileged": false,
/// "privileged": true}` runs privileged).
fn options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    o
}

/// Every document of a manifest as plain JSON for the custom policies: `(index, first line,
/// document)`. Empty documents are left out.
pub fn documents(text: &str) -> Vec<(usize, usize, serde_json::Value)> {
    let docs: Vec<Option<Spanned<serde_json::Value>>> = serde_saphyr::from_multiple_with_options(text, options()).unwrap_or_default();
    docs.into_iter().enumerate().filter_map(|(i, d)| d.map(|d| (i, line(&d), d.value))).filter(|(_, _, d)| d.is_object()).collect()
}

fn error_line(e: &serde_saphyr::Error) -> usize {
    e.location().map(|l| l.line() as usize).unwrap_or(0)
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or(s);
    if l.chars().count() > 200 { format!("{}…", l.chars().take(199).collect::<String>()) } else { l.to_string() }
}

fn line<T>(s: &Spanned<T>) -> usize {
    s.referenced.line() as usize
}

fn doc(d: &Doc, out: &mut Vec<K8sHit>) {
    let Some(kind) = &d.kind else { return };
    if !WORKLOADS.contains(&kind.value.as_str()) || d.api_version.is_none() {
        return;
    }
    let name = d.metadata.name.as_ref().map_or("", |n| n.value.as_str());
    let what = format!("{} {}", kind.value, name);
    // The pod spec, and the metadata whose annotations apply to its containers.
    let (mut spec, mut meta) = (d.spec.as_ref(), &d.metadata);
    for _ in 0..3 {
        let Some(s) = spec else { break };
        if let Some(t) = s.job_template.as_deref() {
            spec = t.spec.as_ref();
            meta = &t.metadata;
            continue;
        }
        if let Some(t) = s.template.as_deref() {
            spec = t.spec.as_ref();
            meta = &t.metadata;
            continue;
        }
        break;
    }
    let Some(spec) = spec else { return };
    pod(spec, meta, line(kind), &what, out);
}

fn pod(p: &Spec, meta: &Meta, kind_line: usize, what: &str, out: &mut Vec<K8sHit>) {
    let mut hit = |id: &'static str, line: usize, evidence: String| out.push((id, line, format!("{what}: {evidence}")));
    let psc = p.security_context.as_ref();

    // Baseline: host namespaces.
    for (f, name) in [(&p.host_network, "hostNetwork"), (&p.host_pid, "hostPID"), (&p.host_ipc, "hostIPC")] {
        if let Some(v) = f.as_ref().filter(|v| v.value) {
            hit("DRG-K8S-002", line(v), format!("{name}: true"));
        }
    }
    // Baseline: volumes. Restricted: only the listed volume types.
    for v in &p.volumes {
        let vname = v.get("name").and_then(|n| n.value.as_str()).unwrap_or("").to_string();
        for (k, val) in v {
            if k == "name" {
                continue;
            }
            if k == "hostPath" {
                hit(
                    "DRG-K8S-003",
                    line(val),
                    format!("volume {vname}: hostPath {}", val.value.get("path").and_then(|p| p.as_str()).unwrap_or("")),
                );
            } else if !RESTRICTED_VOLUMES.contains(&k.as_str()) {
                hit("DRG-K8S-012", line(val), format!("volume {vname}: {k}"));
            }
        }
    }
    // Pod-level security context.
    if let Some(sc) = psc {
        shared_context(sc, "pod ", &mut hit);
        for s in &sc.sysctls {
            if let Some(n) = s.name.as_ref().filter(|n| !SAFE_SYSCTLS.contains(&n.value.as_str())) {
                hit("DRG-K8S-011", line(n), format!("sysctl {}", n.value));
            }
        }
    }
    // Restricted: seccomp set at pod level or on every container.
    let pod_seccomp = psc.and_then(|s| s.seccomp_profile.as_ref()).and_then(|p| p.kind.as_ref()).map(|k| k.value.as_str());
    let pod_nonroot = psc.and_then(|s| s.run_as_non_root.as_ref()).map(|v| v.value);
    // The restricted profile exempts Windows pods (`spec.os.name: windows`) from its
    // privilege-escalation, seccomp and capabilities controls: Linux kernel features.
    let windows = p.os.as_ref().and_then(|o| o.name.as_ref()).is_some_and(|n| n.value == "windows");
    // Service-account token.
    if p.automount_service_account_token.as_ref().is_none_or(|v| v.value) {
        let l = p.automount_service_account_token.as_ref().map_or(kind_line, line);
        hit("DRG-K8S-021", l, "automountServiceAccountToken is not false".into());
    }

    let all = p
        .containers
        .iter()
        .map(|c| (c, "container"))
        .chain(p.init_containers.iter().map(|c| (c, "init container")))
        .chain(p.ephemeral_containers.iter().map(|c| (c, "ephemeral container")));
    for (c, role) in all {
        let cname = c.name.as_ref().map_or("", |n| n.value.as_str());
        let at = c.name.as_ref().or(c.image.as_ref()).map_or(kind_line, line);
        let who = format!("{role} {cname}");
        let sc = c.security_context.as_ref();
        let mut chit = |id: &'static str, line: usize, e: String| hit(id, line, format!("{who}: {e}"));
        if let Some(sc) = sc {
            shared_context(sc, "", &mut chit);
            if let Some(v) = sc.privileged.as_ref().filter(|v| v.value) {
                chit("DRG-K8S-001", line(v), "privileged: true".into());
            }
            if let Some(v) = sc.proc_mount.as_ref().filter(|v| v.value != "Default") {
                chit("DRG-K8S-009", line(v), format!("procMount: {}", v.value));
            }
        }
        for port in &c.ports {
            if let Some(hp) = port.host_port.as_ref().filter(|h| h.value != 0) {
                chit("DRG-K8S-004", line(hp), format!("hostPort: {}", hp.value));
            }
        }
        // Capabilities: baseline (added beyond the default set) and restricted (drop ALL, add at
        // most NET_BIND_SERVICE).
        let caps = sc.and_then(|s| s.capabilities.as_ref());
        let add = caps.map_or(&[][..], |c| c.add.as_slice());
        for a in add {
            let name = a.value.as_str();
            if !BASELINE_CAPS.contains(&name) {
                chit("DRG-K8S-005", line(a), format!("capabilities.add: {}", a.value));
            } else if name != "NET_BIND_SERVICE" && !windows {
                chit("DRG-K8S-017", line(a), format!("capabilities.add: {} (restricted allows NET_BIND_SERVICE only)", a.value));
            }
        }
        // The standard matches `ALL` exactly (Pod Security admission does too).
        if !windows && !caps.is_some_and(|c| c.drop.iter().any(|d| d.value == "ALL")) {
            let l = caps.and_then(|c| c.drop.first()).map_or(at, line);
            chit("DRG-K8S-017", l, "capabilities.drop does not include ALL".into());
        }
        // Restricted: no privilege escalation.
        match sc.and_then(|s| s.allow_privilege_escalation.as_ref()) {
            _ if windows => {}
            Some(v) if !v.value => {}
            Some(v) => chit("DRG-K8S-013", line(v), "allowPrivilegeEscalation: true".into()),
            None => chit("DRG-K8S-013", at, "allowPrivilegeEscalation is not set to false".into()),
        }
        // Restricted: runAsNonRoot, pod or container (the container's wins).
        match (sc.and_then(|s| s.run_as_non_root.as_ref()), pod_nonroot) {
            (Some(v), _) if v.value => {}
            (Some(v), _) => chit("DRG-K8S-014", line(v), "runAsNonRoot: false".into()),
            (None, Some(true)) => {}
            (None, _) => chit("DRG-K8S-014", at, "runAsNonRoot is not true (pod or container)".into()),
        }
        // Restricted: seccomp RuntimeDefault or Localhost (Unconfined is baseline's, reported there).
        let seccomp = sc.and_then(|s| s.seccomp_profile.as_ref()).and_then(|p| p.kind.as_ref()).map(|k| k.value.as_str()).or(pod_seccomp);
        if seccomp.is_none() && !windows {
            chit("DRG-K8S-016", at, "seccompProfile.type is not RuntimeDefault or Localhost (pod or container)".into());
        }
        // AppArmor by annotation (before Kubernetes 1.30).
        if let Some(v) = meta.annotations.get(&format!("container.apparmor.security.beta.kubernetes.io/{cname}")) {
            if !(v.value == "runtime/default" || v.value.starts_with("localhost/")) {
                chit("DRG-K8S-007", line(v), format!("AppArmor annotation {}", v.value));
            }
        }
        // Beyond the standards: the image, limits, read-only root.
        if let Some(img) = &c.image {
            if crate::image::unpinned_reference(&img.value) {
                chit("DRG-K8S-018", line(img), format!("image {}", img.value));
            }
        }
        // Ephemeral containers take no resources.
        if role != "ephemeral container" {
            let missing: Vec<&str> = ["cpu", "memory"].into_iter().filter(|k| !c.resources.limits.contains_key(*k)).collect();
            if !missing.is_empty() {
                chit("DRG-K8S-019", at, format!("no {} limit", missing.join(" or ")));
            }
        }
        match sc.and_then(|s| s.read_only_root_filesystem.as_ref()) {
            Some(v) if v.value => {}
            Some(v) => chit("DRG-K8S-020", line(v), "readOnlyRootFilesystem: false".into()),
            None => chit("DRG-K8S-020", at, "readOnlyRootFilesystem is not true".into()),
        }
    }
}

/// The controls a pod and a container security context share: HostProcess, AppArmor, SELinux,
/// seccomp Unconfined, runAsUser 0.
fn shared_context(sc: &SecurityContext, level: &str, hit: &mut dyn FnMut(&'static str, usize, String)) {
    if let Some(v) = sc.windows_options.as_ref().and_then(|w| w.host_process.as_ref()).filter(|v| v.value) {
        hit("DRG-K8S-006", line(v), format!("{level}windowsOptions.hostProcess: true"));
    }
    if let Some(k) = sc.app_armor_profile.as_ref().and_then(|p| p.kind.as_ref()).filter(|k| k.value == "Unconfined") {
        hit("DRG-K8S-007", line(k), format!("{level}appArmorProfile.type: Unconfined"));
    }
    if let Some(se) = &sc.se_linux_options {
        if let Some(t) = se.kind.as_ref().filter(|t| !t.value.is_empty() && !SELINUX_TYPES.contains(&t.value.as_str())) {
            hit("DRG-K8S-008", line(t), format!("{level}seLinuxOptions.type: {}", t.value));
        }
        for (f, name) in [(&se.user, "user"), (&se.role, "role")] {
            if let Some(v) = f.as_ref().filter(|v| !v.value.is_empty()) {
                hit("DRG-K8S-008", line(v), format!("{level}seLinuxOptions.{name}: {}", v.value));
            }
        }
    }
    if let Some(k) = sc.seccomp_profile.as_ref().and_then(|p| p.kind.as_ref()).filter(|k| k.value == "Unconfined") {
        hit("DRG-K8S-010", line(k), format!("{level}seccompProfile.type: Unconfined"));
    }
    if let Some(u) = sc.run_as_user.as_ref().filter(|u| u.value == 0) {
        hit("DRG-K8S-015", line(u), format!("{level}runAsUser: 0"));
    }
}
