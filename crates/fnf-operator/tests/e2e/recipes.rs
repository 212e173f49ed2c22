//! Every recipe of docs/gitops.md, replayed with the kubectl calls the tool
//! makes: Argo CD's sync and Flux's apply (`kubectl apply`), an Argo CD hook
//! with a fixed name and `BeforeHookCreation` (delete, then create), a hook
//! with `generateName` (create under a new name), and Flux's `force: true`
//! (`kubectl replace --force`: delete, then create). Each counted in the
//! emulator, plus the documented wait for the current generation.

use std::time::Duration;

use fnf_operator::crd::FlowExecution;
use fnf_testkit::e2e::*;

const TIMEOUT: Duration = Duration::from_secs(90);

fn manifest(name_line: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: fnf-operator.dev/v1alpha1\nkind: FlowExecution\nmetadata:\n  {name_line}\nspec:\n  flowName: quick\n{extra_spec}"
    )
}

/// Writes `yaml` to a file and runs `kubectl <verb...> -f file -n ns`.
async fn kubectl_file(env: &Env, verb: &[&str], yaml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fe.yaml");
    std::fs::write(&path, yaml).unwrap();
    let path = path.to_string_lossy().into_owned();
    let mut args: Vec<&str> = verb.to_vec();
    args.extend(["-f", &path, "-n", &env.namespace]);
    env.kubectl(&args).await
}

fn created(env: &Env) -> u64 {
    env.emulator.counters().total_created()
}

fn name_of(fe: &FlowExecution) -> String {
    fe.status
        .as_ref()
        .and_then(|s| s.execution_name.clone())
        .unwrap_or_default()
}

/// The documented wait: first for the operator to have seen this generation
/// (its first write after a change also sets Completed=False), then for
/// Completed.
async fn wait_current(env: &Env, name: &str) {
    let generation = env
        .kubectl(&[
            "get",
            "fe",
            name,
            "-n",
            &env.namespace,
            "-o",
            "jsonpath={.metadata.generation}",
        ])
        .await;
    let observed = format!("--for=jsonpath={{.status.observedGeneration}}={generation}");
    let object = format!("fe/{name}");
    for wait in [observed.as_str(), "--for=condition=Completed"] {
        env.kubectl(&["wait", wait, &object, "-n", &env.namespace, "--timeout=90s"])
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_sync_or_flux_apply_runs_each_committed_declaration_once() {
    let env = Env::new("e2e-recipe-apply").await;
    let operator = env.start_operator();
    let v1 = manifest("name: nightly", "  input:\n    greeting: v1\n");
    kubectl_file(&env, &["apply"], &v1).await;
    wait_current(&env, "nightly").await;
    assert_eq!(created(&env), 1);
    // A re-sync of the same commit changes nothing.
    kubectl_file(&env, &["apply"], &v1).await;
    // A new commit: one new run, and the documented wait reads its end.
    let v2 = manifest("name: nightly", "  input:\n    greeting: v2\n");
    kubectl_file(&env, &["apply"], &v2).await;
    wait_current(&env, "nightly").await;
    let fe = env.api.get("nightly").await.unwrap();
    assert_eq!(phase(&fe), Some("Succeeded"));
    assert!(
        fe.status
            .as_ref()
            .unwrap()
            .output
            .as_deref()
            .unwrap()
            .contains("v2")
    );
    assert_eq!(created(&env), 2, "one run per committed declaration");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_with_a_fixed_name_runs_again_only_when_its_declaration_changes() {
    let env = Env::new("e2e-recipe-hook").await;
    let operator = env.start_operator();
    let hook = |revision: &str| {
        manifest(
            "name: post-sync\n  annotations:\n    argocd.argoproj.io/hook: PostSync\n    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation",
            &format!("  runKey: {revision}\n  input:\n    greeting: hi\n"),
        )
    };
    // BeforeHookCreation: delete the old hook, then create the new one.
    for (revision, runs) in [("rev-a", 1), ("rev-a", 1), ("rev-b", 2)] {
        if env.api.get_opt("post-sync").await.unwrap().is_some() {
            env.delete("post-sync").await;
            env.wait_gone("post-sync", TIMEOUT).await;
        }
        kubectl_file(&env, &["create"], &hook(revision)).await;
        wait_current(&env, "post-sync").await;
        assert_eq!(created(&env), runs, "sync of {revision}");
    }
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_with_generate_name_runs_on_every_sync() {
    let env = Env::new("e2e-recipe-generate").await;
    let operator = env.start_operator();
    let hook = manifest(
        "generateName: post-sync-\n  annotations:\n    argocd.argoproj.io/hook: PostSync",
        "  input:\n    greeting: hi\n",
    );
    for sync in 1..=2_u64 {
        let out = kubectl_file(&env, &["create", "-o", "name"], &hook).await;
        let name = out.trim().rsplit('/').next().unwrap().to_string();
        wait_current(&env, &name).await;
        assert_eq!(created(&env), sync);
    }
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_force_replaces_the_object_and_runs_only_a_new_declaration() {
    let env = Env::new("e2e-recipe-force").await;
    let operator = env.start_operator();
    let v1 = manifest("name: nightly", "  input:\n    greeting: v1\n");
    kubectl_file(&env, &["apply"], &v1).await;
    wait_current(&env, "nightly").await;
    let first = env.api.get("nightly").await.unwrap();
    // force: true re-creates the object; the same declaration adopts its run.
    kubectl_file(&env, &["replace", "--force"], &v1).await;
    wait_current(&env, "nightly").await;
    let again = env.api.get("nightly").await.unwrap();
    assert_eq!(name_of(&again), name_of(&first));
    assert_eq!(created(&env), 1);
    // Another declaration: one new run with its own Output.
    let v2 = manifest("name: nightly", "  input:\n    greeting: v2\n");
    kubectl_file(&env, &["replace", "--force"], &v2).await;
    wait_current(&env, "nightly").await;
    let other = env.api.get("nightly").await.unwrap();
    assert_ne!(name_of(&other), name_of(&first));
    assert!(
        other
            .status
            .as_ref()
            .unwrap()
            .output
            .as_deref()
            .unwrap()
            .contains("v2")
    );
    assert_eq!(created(&env), 2);
    operator.stop().await.unwrap();
}
