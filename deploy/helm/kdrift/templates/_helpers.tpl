{{- define "kdrift.name" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kdrift.labels" -}}
app.kubernetes.io/name: kdrift
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kdrift.selector" -}}
app.kubernetes.io/name: kdrift
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
