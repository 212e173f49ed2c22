//! Flows and their executions, in memory. Answers "what exists" and enforces
//! the start rules (idempotent on a running name, refused once ended, Standard
//! mode only); never runs an execution itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde_json::{Value, json};

use super::api_error::ApiError;
use super::clock::{Clock, format_millis};
use super::config::ExecutionMode;
use super::definition::{self, FlowDefinition};
use super::execution::{Execution, PastRun};

pub struct Flow {
    pub name: String,
    pub id: String,
    pub definition_text: String,
    pub definition: Arc<FlowDefinition>,
    pub mode: ExecutionMode,
    pub description: String,
    pub role_arn: String,
    pub created: Timestamp,
    /// Moves on every UpdateFlow.
    pub last_modified: Timestamp,
    executions: Vec<Arc<Execution>>,
    by_name: HashMap<String, Arc<Execution>>,
}

impl Flow {
    pub fn describe(&self) -> Value {
        json!({
            "Name": self.name,
            "Id": self.id,
            "Type": "FDL",
            "Definition": self.definition_text,
            "Description": self.description,
            "RoleArn": self.role_arn,
            "CreatedTime": format_millis(self.created),
            "LastModifiedTime": format_millis(self.last_modified),
            "ExecutionMode": self.mode.as_str(),
        })
    }
}

pub struct NewFlow<'a> {
    pub name: &'a str,
    pub definition: &'a str,
    pub mode: ExecutionMode,
    pub description: &'a str,
    pub role_arn: &'a str,
}

/// What UpdateFlow changes; `None` keeps the flow's value.
pub struct FlowUpdate<'a> {
    pub name: &'a str,
    pub definition: Option<&'a str>,
    pub description: Option<&'a str>,
    pub role_arn: Option<&'a str>,
}

/// The cloud's answer to a definition it cannot run: InvalidArgument naming
/// the problem.
fn definition_refused(err: definition::DefinitionError) -> ApiError {
    ApiError::invalid_argument(format!("Invalid flow definition: {err}"))
}

fn parse_definition(text: Option<&str>) -> Result<Option<FlowDefinition>, ApiError> {
    text.map(definition::parse)
        .transpose()
        .map_err(definition_refused)
}

/// What StartExecution found or made.
pub enum Started {
    /// A new execution: the caller must run it.
    Created(Arc<Execution>, Arc<FlowDefinition>),
    /// One of that name is still running: nothing was started.
    AlreadyRunning(Arc<Execution>),
}

pub struct Store {
    clock: Clock,
    flows: Mutex<BTreeMap<String, Flow>>,
}

impl Store {
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            flows: Mutex::default(),
        }
    }

    fn flows(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Flow>> {
        self.flows.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn create_flow(&self, new: NewFlow<'_>) -> Result<Value, ApiError> {
        let parsed = definition::parse(new.definition).map_err(definition_refused)?;
        let mut flows = self.flows();
        if flows.contains_key(new.name) {
            return Err(ApiError::new(
                "FlowAlreadyExists",
                format!("Flow {} already exists.", new.name),
            ));
        }
        let flow = Flow {
            name: new.name.to_string(),
            id: format!("{:032x}", rand::random::<u128>()),
            definition_text: new.definition.to_string(),
            definition: Arc::new(parsed),
            mode: new.mode,
            description: new.description.to_string(),
            role_arn: new.role_arn.to_string(),
            created: self.clock.now(),
            last_modified: self.clock.now(),
            executions: Vec::new(),
            by_name: HashMap::new(),
        };
        let described = flow.describe();
        flows.insert(new.name.to_string(), flow);
        Ok(described)
    }

    /// Replaces a flow's definition, description and role; executions already
    /// started keep the definition they started with. An absent description or
    /// role keeps the old one, as the cloud's UpdateFlow does.
    pub fn update_flow(&self, update: FlowUpdate<'_>) -> Result<Value, ApiError> {
        let parsed = parse_definition(update.definition)?;
        let mut flows = self.flows();
        let flow = flows
            .get_mut(update.name)
            .ok_or_else(|| ApiError::flow_not_exists(update.name))?;
        if let Some(text) = update.definition {
            flow.definition_text = text.to_string();
        }
        if let Some(parsed) = parsed {
            flow.definition = Arc::new(parsed);
        }
        if let Some(description) = update.description {
            flow.description = description.to_string();
        }
        if let Some(role_arn) = update.role_arn {
            flow.role_arn = role_arn.to_string();
        }
        // Never equal to the previous time, so a reader always sees the change.
        let now = self.clock.now();
        flow.last_modified = if now > flow.last_modified {
            now
        } else {
            flow.last_modified + jiff::SignedDuration::from_millis(1)
        };
        Ok(flow.describe())
    }

    pub fn describe_flow(&self, name: &str) -> Result<Value, ApiError> {
        self.flows()
            .get(name)
            .map(Flow::describe)
            .ok_or_else(|| ApiError::flow_not_exists(name))
    }

    /// Flow descriptions in name order, from `after` (exclusive) on.
    pub fn list_flows(&self, visible: impl Fn(&str) -> bool) -> Vec<(String, Value)> {
        self.flows()
            .values()
            .filter(|f| visible(&f.name))
            .map(|f| (f.name.clone(), f.describe()))
            .collect()
    }

    /// Deletes a flow; its running executions end without a trace, as the
    /// service no longer answers for them.
    pub fn delete_flow(&self, name: &str) -> Result<(), ApiError> {
        let flow = self
            .flows()
            .remove(name)
            .ok_or_else(|| ApiError::flow_not_exists(name))?;
        for execution in flow.executions {
            execution.stop("FlowDeleted", "the flow was deleted");
        }
        Ok(())
    }

    pub fn start_execution(
        &self,
        flow_name: &str,
        name: &str,
        input: &str,
    ) -> Result<Started, ApiError> {
        let mut flows = self.flows();
        let flow = flows
            .get_mut(flow_name)
            .ok_or_else(|| ApiError::flow_not_exists(flow_name))?;
        if flow.mode == ExecutionMode::Express {
            // The service starts Express flows only through its synchronous API.
            return Err(ApiError::invalid_argument(format!(
                "Flow {flow_name} is in Express mode; StartExecution starts Standard flows only."
            )));
        }
        if let Some(existing) = flow.by_name.get(name) {
            if existing.status().is_terminal() {
                return Err(ApiError::execution_already_exists(flow_name, name));
            }
            return Ok(Started::AlreadyRunning(existing.clone()));
        }
        let execution = Arc::new(Execution::new(
            flow_name,
            name,
            input,
            &flow.definition_text,
            self.clock,
        ));
        flow.executions.push(execution.clone());
        flow.by_name.insert(name.to_string(), execution.clone());
        Ok(Started::Created(execution, flow.definition.clone()))
    }

    /// Adds runs of a flow that ended in the past, each as `Execution::past`
    /// makes it; a name already taken, or an end not in the past, is passed
    /// over. Returns how many were added.
    pub fn record_past_runs(&self, flow_name: &str, runs: &[PastRun]) -> Result<usize, ApiError> {
        let mut flows = self.flows();
        let flow = flows
            .get_mut(flow_name)
            .ok_or_else(|| ApiError::flow_not_exists(flow_name))?;
        let mut added = 0;
        for run in runs {
            if flow.by_name.contains_key(&run.name) {
                continue;
            }
            let Some(execution) =
                Execution::past(flow_name, run, &flow.definition_text, self.clock)
            else {
                continue;
            };
            let execution = Arc::new(execution);
            flow.executions.push(execution.clone());
            flow.by_name.insert(run.name.clone(), execution);
            added += 1;
        }
        Ok(added)
    }

    pub fn execution(&self, flow_name: &str, name: &str) -> Result<Arc<Execution>, ApiError> {
        let flows = self.flows();
        let flow = flows
            .get(flow_name)
            .ok_or_else(|| ApiError::flow_not_exists(flow_name))?;
        flow.by_name
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::execution_not_exists(flow_name, name))
    }

    /// A flow's executions in start order.
    pub fn executions(&self, flow_name: &str) -> Result<Vec<Arc<Execution>>, ApiError> {
        self.flows()
            .get(flow_name)
            .map(|f| f.executions.clone())
            .ok_or_else(|| ApiError::flow_not_exists(flow_name))
    }

    /// Ends every execution's task (shutdown).
    pub fn stop_all(&self) {
        for flow in self.flows().values() {
            for execution in &flow.executions {
                execution.stop("EmulatorShutdown", "the emulator shut down");
            }
        }
    }
}
