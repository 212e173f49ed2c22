// kstatus-check prints what Flux's health checks (sigs.k8s.io/cli-utils kstatus)
// compute for each object given as a JSON document on standard input: one line
// "<status> <message>". The tests feed it FlowExecutions the operator produced.
package main

import (
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
	// Unstructured's own decoder keeps integers as int64, as kstatus expects.
	var obj unstructured.Unstructured
	if err := obj.UnmarshalJSON(raw); err != nil {
		fmt.Fprintln(os.Stderr, "parse object:", err)
		os.Exit(2)
	}
	res, err := status.Compute(&obj)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compute:", err)
		os.Exit(2)
	}
	fmt.Printf("%s %s\n", res.Status, res.Message)
}
