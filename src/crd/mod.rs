//! The FlowExecution custom resource.
