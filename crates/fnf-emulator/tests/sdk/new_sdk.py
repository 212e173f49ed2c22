"""Every fnf action through `alibabacloud-fnf20190315` (RPC by default, V3 with --v3)."""
import json
import sys

from alibabacloud_fnf20190315 import models as m
from alibabacloud_fnf20190315.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from common import BAD_DEFINITIONS, FLOW_DEFINITION, LONG_POLL_SECS, READ_TIMEOUT_SECS, check, parse_args


def error_of(call):
    try:
        call()
    except Exception as e:  # the SDK raises its own exception types, all with .code
        return getattr(e, "code", repr(e)), str(getattr(e, "message", e))
    return None, ""


def error_code(call):
    try:
        call()
    except Exception as e:  # the SDK raises its own exception types, all with .code
        return getattr(e, "code", repr(e))
    return None


def main():
    args = parse_args()
    config = Config(
        access_key_id=args.key_id,
        access_key_secret=args.secret,
        security_token=args.token,
        endpoint=args.endpoint,
        protocol="http",
        region_id="cn-hangzhou",
        read_timeout=READ_TIMEOUT_SECS * 1000,
        connect_timeout=5000,
    )
    client = Client(config)
    if args.v3:
        client._signature_algorithm = "ACS3-HMAC-SHA256"
    runtime = RuntimeOptions(read_timeout=READ_TIMEOUT_SECS * 1000, autoretry=False)

    if args.expect_error:
        code = error_code(lambda: client.list_flows_with_options(m.ListFlowsRequest(limit=10), runtime))
        check(code == args.expect_error, f"expected {args.expect_error}, got {code}")
        print(f"new-sdk: got {code} as expected")
        return

    flow = f"{args.prefix}flow"
    created = client.create_flow_with_options(
        m.CreateFlowRequest(name=flow, definition=FLOW_DEFINITION, description="sdk test", type="FDL"), runtime
    ).body
    check(created.name == flow, f"CreateFlow answered {created}")
    described = client.describe_flow_with_options(m.DescribeFlowRequest(name=flow), runtime).body
    check(described.definition == FLOW_DEFINITION, "DescribeFlow definition")
    listed = client.list_flows_with_options(m.ListFlowsRequest(limit=100), runtime).body
    check(flow in [f.name for f in listed.flows], "ListFlows lists the flow")

    update = lambda **fields: client.update_flow_with_options(m.UpdateFlowRequest(name=flow, **fields), runtime).body
    updated = update(definition=FLOW_DEFINITION, description="updated")
    check(updated.description == "updated", f"UpdateFlow answered {updated}")
    again = client.describe_flow_with_options(m.DescribeFlowRequest(name=flow), runtime).body
    check(again.description == "updated", "UpdateFlow changed the description")
    check(again.last_modified_time != described.last_modified_time, "LastModifiedTime moved")
    check(again.created_time == described.created_time, "CreatedTime kept")
    for definition, words in BAD_DEFINITIONS:
        code, message = error_of(lambda: update(definition=definition))
        check(code == "InvalidArgument" and words.lower() in message.lower(), f"bad definition: {code} {message}")
    code, _ = error_of(lambda: update(definition=FLOW_DEFINITION, role_arn="not-a-role"))
    check(code == "InvalidArgument", f"bad RoleArn: {code}")
    code, _ = error_of(lambda: client.update_flow_with_options(
        m.UpdateFlowRequest(name=f"{flow}_missing", definition=FLOW_DEFINITION), runtime))
    check(code == "FlowNotExists", f"UpdateFlow of a missing flow: {code}")
    kept = client.describe_flow_with_options(m.DescribeFlowRequest(name=flow), runtime).body
    check(kept.definition == FLOW_DEFINITION, "a refused update changes nothing")

    start = lambda name, wait: client.start_execution_with_options(
        m.StartExecutionRequest(flow_name=flow, execution_name=name, input=json.dumps({"wait": wait, "text": "a b+c/d*e~f'g"})),
        runtime,
    ).body
    first = start("e1", 1)
    check(first.status in ("Starting", "Running"), f"StartExecution status {first.status}")
    again = start("e1", 1)
    check(again.started_time == first.started_time, "a second start returns the running execution")

    ended = client.describe_execution_with_options(
        m.DescribeExecutionRequest(flow_name=flow, execution_name="e1", wait_time_seconds=LONG_POLL_SECS), runtime
    ).body
    check(ended.status == "Succeeded", f"long-poll status {ended.status}")
    check(json.loads(ended.output)["text"] == "a b+c/d*e~f'g", f"output {ended.output}")
    check(ended.stopped_time.endswith("Z"), "StoppedTime is UTC")

    events, token = [], None
    while True:
        page = client.get_execution_history_with_options(
            m.GetExecutionHistoryRequest(flow_name=flow, execution_name="e1", limit=2, next_token=token), runtime
        ).body
        events += page.events
        token = page.next_token
        if not token:
            break
    check(events[-1].type == "ExecutionSucceeded", f"last event {events[-1].type}")

    listed = client.list_executions_with_options(
        m.ListExecutionsRequest(flow_name=flow, status="Succeeded", execution_name_prefix="e", limit=10), runtime
    ).body
    check([e.name for e in listed.executions] == ["e1"], "ListExecutions filters")

    start("long", 300)
    stopped = client.stop_execution_with_options(
        m.StopExecutionRequest(flow_name=flow, execution_name="long", error="Cancelled", cause="sdk test"), runtime
    ).body
    check(stopped.status == "Stopped", f"StopExecution status {stopped.status}")
    code = error_code(lambda: client.stop_execution_with_options(
        m.StopExecutionRequest(flow_name=flow, execution_name="long", error="Cancelled", cause="again"), runtime))
    check(code == "ExecutionAlreadyCompleted", f"second stop: {code}")
    code = error_code(lambda: start("e1", 1))
    check(code == "ExecutionAlreadyExists", f"restart of an ended name: {code}")

    client.delete_flow_with_options(m.DeleteFlowRequest(name=flow), runtime)
    code = error_code(lambda: client.describe_flow_with_options(m.DescribeFlowRequest(name=flow), runtime))
    check(code == "FlowNotExists", f"after DeleteFlow: {code}")
    # The cloud no longer answers for a deleted flow's executions.
    code = error_code(lambda: client.describe_execution_with_options(
        m.DescribeExecutionRequest(flow_name=flow, execution_name="e1"), runtime))
    check(code == "FlowNotExists", f"an execution of a deleted flow: {code}")
    print(f"new-sdk ({'V3' if args.v3 else 'RPC'}, {'STS' if args.token else 'AK'}): every action succeeded")


if __name__ == "__main__":
    main()
    sys.exit(0)
