//! A local fnf (Serverless Workflow) service for tests and the demo.
