//go:build tools
// +build tools

// Package tools pins the commands this module builds (scripts/provide-kube-apiserver.sh) in
// its build list, so `go build -mod=readonly ...` resolves them with go.sum checked.
package tools

import (
	_ "k8s.io/kube-openapi/cmd/openapi-gen"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
