// kstatus-check prints what Flux's health checks (sigs.k8s.io/cli-utils kstatus)
// compute for each object given as a JSON document on standard input: one line
// "<status> <message>". The tests feed it FlowExecutions the operator produced.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read stdin:", err)
		os.Exit(2)
	}
	var obj map[string]interface{}
	if err := json.Unmarshal(raw, &obj); err != nil {
		fmt.Fprintln(os.Stderr, "parse object:", err)
		os.Exit(2)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: obj})
	if err != nil {
		fmt.Fprintln(os.Stderr, "compute:", err)
		os.Exit(2)
	}
	fmt.Printf("%s %s\n", res.Status, res.Message)
}
