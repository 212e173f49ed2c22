//! The cloud client: signing, actions, errors, retries, quotas and credentials.
pub mod sign;
