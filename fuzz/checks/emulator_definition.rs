//! One fuzz input for the emulator's flow-definition parser (YAML, both
//! shapes, Choice conditions): any text is a definition or an error, never a
//! panic, and a parsed definition names only states it has. Used by the
//! `emulator_definition` fuzz target and the emulator's corpus replay.

use fnf_emulator::definition::{Block, StateKind, Target, parse};

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(flow) = parse(&text) {
        check_block(&flow.main);
    }
}

fn check_block(block: &Block) {
    assert!(
        block.state(&block.start_at).is_some(),
        "StartAt names a state"
    );
    for state in &block.states {
        if let Some(next) = &state.next {
            assert!(
                block.state(next).is_some(),
                "{} goes to a state",
                state.name
            );
        }
        match &state.kind {
            StateKind::Parallel { branches } => branches.iter().for_each(check_block),
            StateKind::Choice { branches, default } => {
                for target in branches.iter().map(|b| &b.target).chain(default.iter()) {
                    match target {
                        Target::Goto(name) => assert!(block.state(name).is_some()),
                        Target::Steps(steps) => check_block(steps),
                    }
                }
            }
            _ => {}
        }
    }
}
