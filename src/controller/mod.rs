//! The FlowExecution controller: a pure decision and a thin layer that applies it.
