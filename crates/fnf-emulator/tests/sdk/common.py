"""Shared by the SDK scripts: arguments and the flow every scenario runs.

Each script drives the emulator through one official SDK, raises on any
surprise (so the process exits non-zero) and prints one summary line.
"""
import argparse

# Waits `$.wait` seconds, then succeeds with its input.
FLOW_DEFINITION = """Type: StateMachine
SpecVersion: v1
StartAt: hold
States:
  - Type: Wait
    Name: hold
    SecondsPath: $.wait
    Next: done
  - Type: Succeed
    Name: done
"""

# Longer than the long-poll, as a client of a 60 s long-poll must allow.
READ_TIMEOUT_SECS = 40
LONG_POLL_SECS = 20


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True, help="host:port")
    p.add_argument("--key-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--token")
    p.add_argument("--v3", action="store_true", help="sign with ACS3-HMAC-SHA256")
    p.add_argument("--prefix", default="sdk_")
    p.add_argument("--expect-error", help="only call ListFlows and expect this error code")
    return p.parse_args()


# Definitions the cloud refuses with InvalidArgument, and a word its message names.
BAD_DEFINITIONS = [
    ("Type: StateMachine\nSpecVersion: v1\nStates:\n  - Type: Pass\n    Name: a\n    End: true\n", "StartAt"),
    ("Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Pass\n    Name: a\n    Next: b\n", "no state is named b"),
    ("Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Teleport\n    Name: a\n    End: true\n", "teleport"),
    ("Type: [unclosed", "YAML"),
]


def check(condition, what):
    if not condition:
        raise AssertionError(what)
