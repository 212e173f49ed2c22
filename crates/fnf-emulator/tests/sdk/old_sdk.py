"""Every fnf action through `aliyun-python-sdk-core` + `aliyun-python-sdk-fnf` (RPC)."""
import json
import sys

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315 import (
    CreateFlowRequest,
    DeleteFlowRequest,
    DescribeExecutionRequest,
    DescribeFlowRequest,
    GetExecutionHistoryRequest,
    ListExecutionsRequest,
    ListFlowsRequest,
    StartExecutionRequest,
    StopExecutionRequest,
    UpdateFlowRequest,
)

from common import BAD_DEFINITIONS, FLOW_DEFINITION, LONG_POLL_SECS, READ_TIMEOUT_SECS, check, parse_args


def main():
    args = parse_args()
    host, port = args.endpoint.rsplit(":", 1)
    credential = (
        StsTokenCredential(args.key_id, args.secret, args.token)
        if args.token
        else AccessKeyCredential(args.key_id, args.secret)
    )
    client = AcsClient(
        credential=credential, region_id="cn-hangzhou", port=int(port), timeout=READ_TIMEOUT_SECS, auto_retry=False
    )

    def call(request_module, **params):
        request = getattr(request_module, request_module.__name__.rsplit(".", 1)[-1])()
        request.set_endpoint(host)
        request.set_protocol_type("http")
        for key, value in params.items():
            getattr(request, f"set_{key}")(value)
        return json.loads(client.do_action_with_exception(request))

    def error_of(request_module, **params):
        try:
            call(request_module, **params)
        except ServerException as e:
            return e.get_error_code(), e.get_error_msg()
        return None, ""

    def error_code(request_module, **params):
        try:
            call(request_module, **params)
        except ServerException as e:
            return e.get_error_code()
        return None

    if args.expect_error:
        code = error_code(ListFlowsRequest, Limit=10)
        check(code == args.expect_error, f"expected {args.expect_error}, got {code}")
        print(f"old-sdk: got {code} as expected")
        return

    flow = f"{args.prefix}flow"
    created = call(CreateFlowRequest, Name=flow, Definition=FLOW_DEFINITION, Description="sdk test", Type="FDL")
    check(created["Name"] == flow, f"CreateFlow answered {created}")
    check(call(DescribeFlowRequest, Name=flow)["Definition"] == FLOW_DEFINITION, "DescribeFlow definition")
    check(flow in [f["Name"] for f in call(ListFlowsRequest, Limit=100)["Flows"]], "ListFlows lists the flow")
    before = call(DescribeFlowRequest, Name=flow)
    updated = call(UpdateFlowRequest, Name=flow, Definition=FLOW_DEFINITION, Description="updated")
    check(updated["Description"] == "updated", f"UpdateFlow answered {updated}")
    after = call(DescribeFlowRequest, Name=flow)
    check(after["LastModifiedTime"] != before["LastModifiedTime"], "LastModifiedTime moved")
    for definition, words in BAD_DEFINITIONS:
        code, message = error_of(UpdateFlowRequest, Name=flow, Definition=definition)
        check(code == "InvalidArgument" and words.lower() in message.lower(), f"bad definition: {code} {message}")
    code, _ = error_of(UpdateFlowRequest, Name=f"{flow}_missing", Definition=FLOW_DEFINITION)
    check(code == "FlowNotExists", f"UpdateFlow of a missing flow: {code}")

    def start(name, wait):
        return call(StartExecutionRequest, FlowName=flow, ExecutionName=name,
                    Input=json.dumps({"wait": wait, "text": "a b+c/d*e~f'g"}))

    first = start("e1", 1)
    check(first["Status"] in ("Starting", "Running"), f"StartExecution status {first['Status']}")
    check(start("e1", 1)["StartedTime"] == first["StartedTime"], "a second start returns the running execution")
    ended = call(DescribeExecutionRequest, FlowName=flow, ExecutionName="e1", WaitTimeSeconds=LONG_POLL_SECS)
    check(ended["Status"] == "Succeeded", f"long-poll status {ended['Status']}")
    check(json.loads(ended["Output"])["text"] == "a b+c/d*e~f'g", f"output {ended['Output']}")

    events, token = [], None
    while True:
        params = {"FlowName": flow, "ExecutionName": "e1", "Limit": 2}
        if token:
            params["NextToken"] = token
        page = call(GetExecutionHistoryRequest, **params)
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            break
    check(events[-1]["Type"] == "ExecutionSucceeded", f"last event {events[-1]['Type']}")
    listed = call(ListExecutionsRequest, FlowName=flow, Status="Succeeded", ExecutionNamePrefix="e", Limit=10)
    check([e["Name"] for e in listed["Executions"]] == ["e1"], "ListExecutions filters")

    start("long", 300)
    stopped = call(StopExecutionRequest, FlowName=flow, ExecutionName="long", Error="Cancelled", Cause="sdk test")
    check(stopped["Status"] == "Stopped", f"StopExecution status {stopped['Status']}")
    code = error_code(StopExecutionRequest, FlowName=flow, ExecutionName="long", Error="Cancelled", Cause="again")
    check(code == "ExecutionAlreadyCompleted", f"second stop: {code}")
    code = error_code(StartExecutionRequest, FlowName=flow, ExecutionName="e1", Input="{}")
    check(code == "ExecutionAlreadyExists", f"restart of an ended name: {code}")
    call(DeleteFlowRequest, Name=flow)
    check(error_code(DescribeFlowRequest, Name=flow) == "FlowNotExists", "after DeleteFlow")
    code = error_code(DescribeExecutionRequest, FlowName=flow, ExecutionName="e1")
    check(code == "FlowNotExists", f"an execution of a deleted flow: {code}")
    print(f"old-sdk (RPC, {'STS' if args.token else 'AK'}): every action succeeded")


if __name__ == "__main__":
    main()
    sys.exit(0)
