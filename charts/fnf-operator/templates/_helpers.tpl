{{/*
Names, labels and the RBAC rule set shared by the templates.
Every object name derives from fnf-operator.fullname so two releases never collide.
*/}}

{{- define "fnf-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fnf-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "fnf-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "fnf-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fnf-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fnf-operator.labels" -}}
helm.sh/chart: {{ include "fnf-operator.chart" . }}
{{ include "fnf-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: fnf-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "fnf-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fnf-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fnf-operator.leaseName" -}}
{{- default (include "fnf-operator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{- define "fnf-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* FNF_QUOTAS: "Action=RATE/BURST,..." in a stable (sorted) order so upgrades do not roll the pod needlessly. */}}
{{- define "fnf-operator.quotas" -}}
{{- $pairs := list }}
{{- range $action, $bucket := .Values.quotas }}
{{- $pairs = append $pairs (printf "%s=%s" $action $bucket) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/*
The rules the controller needs in every namespace it watches, bound cluster-wide
(ClusterRole) or per namespace (Role). Least privilege: nothing here creates,
updates or deletes FlowExecutions, and Secrets are readable only when
FlowExecutions may name their own credentials.
*/}}
{{- define "fnf-operator.watchRules" -}}
# The controller lists and watches FlowExecutions to reconcile them (its cache
# is its only read), patches metadata to add/remove its finalizer
# (fnf-operator.dev/stop-execution) so deletion can stop a live execution, and
# deletes one whose spec.ttlSecondsAfterFinished has passed.
# A CronFlowExecution's runs are FlowExecutions it creates (create), lists by
# their label on each schedule time (list), stops under concurrencyPolicy
# Replace by setting spec.stop (patch) and deletes beyond the history limits.
- apiGroups: ["fnf-operator.dev"]
  resources: ["flowexecutions"]
  verbs: ["list", "watch", "patch", "delete", "create"]
# Status is the operator's only output: phase, output, error and conditions,
# written with server-side apply on the status subresource.
- apiGroups: ["fnf-operator.dev"]
  resources: ["flowexecutions/status"]
  verbs: ["patch"]
# The CronFlowExecution controller lists and watches them: its cache is its
# only read of them.
- apiGroups: ["fnf-operator.dev"]
  resources: ["cronflowexecutions"]
  verbs: ["list", "watch"]
# Their status (active runs, last schedule time, conditions) is written with
# server-side apply on the status subresource.
- apiGroups: ["fnf-operator.dev"]
  resources: ["cronflowexecutions/status"]
  verbs: ["patch"]
# The Flow controller lists and watches Flows (its cache also holds a
# FlowExecution's start until its Flow is Ready) and patches metadata to add or
# remove its finalizer (fnf-operator.dev/delete-flow, deletionPolicy: Delete).
- apiGroups: ["fnf-operator.dev"]
  resources: ["flows"]
  verbs: ["list", "watch", "patch"]
# A Flow's status (conditions, flowId, lastModifiedTime, definitionHash),
# written with server-side apply on the status subresource.
- apiGroups: ["fnf-operator.dev"]
  resources: ["flows/status"]
  verbs: ["patch"]
# Events record starts, stops, adoptions and cloud errors on the FlowExecution,
# runs created, skipped, replaced and missed on the CronFlowExecution, and flow
# creations, updates, drift and refusals on the Flow.
# Each carries its RequestId, so none repeats and no patch is needed.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- if .Values.outputExport.configMaps }}
# outputExport.configMaps=true: spec.outputTo.configMap receives the Output of a
# succeeded execution. get checks that an existing ConfigMap is ours before
# writing; create and patch write it (server-side apply); delete removes the
# one it wrote before when spec.outputTo changes to another object.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "create", "patch", "delete"]
{{- end }}
{{- if .Values.outputExport.secrets }}
# outputExport.secrets=true: spec.outputTo.secret receives the Output, as above.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create", "patch", "delete"]
{{- end }}
{{- if .Values.secretCredentials }}
# secretCredentials=true: a FlowExecution may name a Secret in its own namespace
# (spec.credentialsSecretRef) holding the keys to use; the operator reads that
# Secret by name when it needs the keys, and watches Secret metadata (never the
# data) so that a created, fixed, rotated or deleted Secret takes effect at
# once. get alone already reads any Secret by name; list and watch add names
# and change notices. outputExport.secrets also reads a target Secret by name.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
{{- else if .Values.outputExport.secrets }}
# outputExport.secrets=true reads a target Secret by name to check that it is
# ours before writing; Secrets are never listed or watched.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}
{{- if .Values.inputFrom.configMaps }}
# inputFrom.configMaps=true: spec.inputFrom may set input fields from keys of
# ConfigMaps in the FlowExecution's own namespace; each is read by name (get)
# when a run is declared. list and watch serve a metadata-only watch (never
# the data) that wakes the objects naming a created or changed ConfigMap, so
# a changed value runs the new declaration at once.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
{{- end }}
{{- if .Values.inputFrom.secrets }}
# inputFrom.secrets=true: spec.inputFrom may set input fields from keys of
# Secrets in the FlowExecution's own namespace; each is read by name (get) when
# a run is declared, and its value goes to StartExecution only. list and watch
# serve a metadata-only watch (never the data) that wakes the objects naming a
# created or changed Secret.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
{{- end }}
{{- end }}

{{/*
The operator's own cloud credentials as environment variables (credentials.mode=secret),
shared by the Deployment and the `helm test` pod.
*/}}
{{- define "fnf-operator.credentialsEnv" -}}
{{- if eq .Values.credentials.mode "secret" -}}
- name: ALIBABA_CLOUD_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.credentials.existingSecret }}
      key: accessKeyId
- name: ALIBABA_CLOUD_ACCESS_KEY_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.credentials.existingSecret }}
      key: accessKeySecret
# Only STS credentials carry a token; long-lived AccessKeys do not.
- name: ALIBABA_CLOUD_SECURITY_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.credentials.existingSecret }}
      key: securityToken
      optional: true
{{- end }}
{{- end }}
