// Remedies written in more than one place: found by the preflight or read in
// helm's error, a problem gets the same advice.

/** What to do about a kind the cluster does not serve (found by the preflight or in helm's error). */
export function missingKindRemedy(kindAndVersion: string, group: string): string {
  return group === 'monitoring.coreos.com'
    ? 'Set `prometheusOperatorServiceMonitor: false` in your values (the Lily chart renders ServiceMonitors by default), or install the Prometheus Operator and its CRDs first.'
    : `Install the CustomResourceDefinition that defines ${kindAndVersion} first, or turn that part of the chart off in your values.`;
}
