// A Lily release as the plan tests see it: the rendered manifest of chart
// 0.1.4 and of 0.1.5-rc1 (init containers, a newer image, no PDB), and the
// live objects of a 0.1.4 release as the API server returns them, with status,
// managedFields, helm's annotations and every field the server defaults.
import { createHash } from 'node:crypto';
import { liveObject, type PlanObject, renderedObjects } from '../../src/plan/objects.js';

export const CANARY = 'CANARY-PLAN-7f3a';

/** The first 8 hex digits of a text's sha256, as a reviewer would work it out. */
export const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);
export const NAMESPACE = 'indexer';

export interface ChartShape {
  /** 0.1.5-rc1: init containers, image v0.13.0, no PodDisruptionBudget. */
  rc?: boolean;
  logLevel?: string;
  /** The chart's Secret values. */
  apiToken?: string;
  storageUrl?: string;
}

/** `helm template lily-a` of the chart, comments and all. */
export function lilyManifest(shape: ChartShape = {}): string {
  const image = shape.rc ? 'filecoin/lily:v0.13.0' : 'filecoin/lily:v0.12.0';
  const initContainers = shape.rc
    ? `      initContainers:
        - name: init-datastore
          image: ${image}
          command: ["lily", "init", "--repo=/var/lib/lily", "--config=/var/lib/lily/config.toml"]
          volumeMounts:
            - name: repo
              mountPath: /var/lib/lily
`
    : '';
  const pdb = shape.rc
    ? ''
    : `---
# Source: lily/templates/daemon-pdb.yaml
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: lily-a-lily-daemon-pdb
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/instance: lily-a
`;
  return `${pdb}---
# Source: lily/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: lily-a-lily-env
  labels:
    app.kubernetes.io/instance: lily-a
type: Opaque
data:
  LILY_API_TOKEN: ${Buffer.from(shape.apiToken ?? 'token-1').toString('base64')}
stringData:
  storage-url: ${JSON.stringify(shape.storageUrl ?? 'postgres://lily@db:5432/lily')}
---
# Source: lily/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: lily-a-lily-config
  labels:
    app.kubernetes.io/instance: lily-a
data:
  config.toml: |
    [API]
      ListenAddress = "/ip4/0.0.0.0/tcp/1234/http"
---
# Source: lily/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: lily-a-lily-api
  labels:
    app.kubernetes.io/instance: lily-a
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/instance: lily-a
  ports:
    - name: api
      port: 1234
---
# Source: lily/templates/daemon-statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: lily-a-lily-daemon
  labels:
    app.kubernetes.io/instance: lily-a
    app.kubernetes.io/managed-by: Helm
spec:
  replicas: 1
  serviceName: lily-a-lily-api
  selector:
    matchLabels:
      app.kubernetes.io/instance: lily-a
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: lily-a
      annotations:
        checksum/config: 3c1f0a
    spec:
      securityContext:
        fsGroup: 532
      nodeSelector:
${initContainers}      containers:
        - name: daemon
          image: ${image}
          args: ["daemon", "--repo=/var/lib/lily", "--config=/var/lib/lily/config.toml"]
          env:
            - name: LILY_STORAGE_POSTGRESQL_DB_URL
              valueFrom:
                secretKeyRef:
                  name: lily-a-lily-db
                  key: url
            - name: GOLOG_LOG_LEVEL
              value: ${shape.logLevel ?? 'info'}
          ports:
            - name: api
              containerPort: 1234
          resources:
            requests:
              cpu: 2
              memory: 4096Mi
          volumeMounts:
            - name: repo
              mountPath: /var/lib/lily
            - name: config
              mountPath: /var/lib/lily/config.toml
              subPath: config.toml
      volumes:
        - name: config
          configMap:
            name: lily-a-lily-config
  volumeClaimTemplates:
    - metadata:
        name: repo
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: 100Gi
`;
}

export function rendered(shape: ChartShape = {}): PlanObject[] {
  return renderedObjects(lilyManifest(shape), { namespace: NAMESPACE });
}

const helmAnnotations = {
  'meta.helm.sh/release-name': 'lily-a',
  'meta.helm.sh/release-namespace': NAMESPACE,
};

function serverMetadata(name: string, uid: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    namespace: NAMESPACE,
    uid,
    resourceVersion: '48213',
    creationTimestamp: '2026-04-01T10:00:00Z',
    labels: { 'app.kubernetes.io/instance': 'lily-a' },
    annotations: helmAnnotations,
    managedFields: [
      {
        manager: 'helm',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-04-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {} } } },
      },
    ],
    ...extra,
  };
}

/** The 0.1.4 StatefulSet as the API server returns it. */
export function liveStatefulSet(logLevel = 'info'): Record<string, unknown> {
  return {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    metadata: {
      ...serverMetadata('lily-a-lily-daemon', '7d1c-statefulset', { generation: 3 }),
      labels: { 'app.kubernetes.io/instance': 'lily-a', 'app.kubernetes.io/managed-by': 'Helm' },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'lily-a' } },
      template: {
        metadata: {
          creationTimestamp: null,
          labels: { 'app.kubernetes.io/instance': 'lily-a' },
          annotations: { 'checksum/config': '3c1f0a' },
        },
        spec: {
          volumes: [
            { name: 'config', configMap: { name: 'lily-a-lily-config', defaultMode: 420 } },
          ],
          containers: [
            {
              name: 'daemon',
              image: 'filecoin/lily:v0.12.0',
              args: ['daemon', '--repo=/var/lib/lily', '--config=/var/lib/lily/config.toml'],
              ports: [{ name: 'api', containerPort: 1234, protocol: 'TCP' }],
              env: [
                {
                  name: 'LILY_STORAGE_POSTGRESQL_DB_URL',
                  valueFrom: { secretKeyRef: { name: 'lily-a-lily-db', key: 'url' } },
                },
                { name: 'GOLOG_LOG_LEVEL', value: logLevel },
              ],
              resources: { requests: { cpu: '2', memory: '4Gi' } },
              volumeMounts: [
                { name: 'repo', mountPath: '/var/lib/lily' },
                { name: 'config', mountPath: '/var/lib/lily/config.toml', subPath: 'config.toml' },
              ],
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              imagePullPolicy: 'IfNotPresent',
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: { fsGroup: 532 },
          schedulerName: 'default-scheduler',
        },
      },
      volumeClaimTemplates: [
        {
          kind: 'PersistentVolumeClaim',
          apiVersion: 'v1',
          metadata: { name: 'repo', creationTimestamp: null },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '100Gi' } },
            volumeMode: 'Filesystem',
          },
          status: { phase: 'Pending' },
        },
      ],
      serviceName: 'lily-a-lily-api',
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    },
    status: {
      observedGeneration: 3,
      replicas: 1,
      readyReplicas: 1,
      currentReplicas: 1,
      updatedReplicas: 1,
      currentRevision: 'lily-a-lily-daemon-5f7d9c8b4',
      updateRevision: 'lily-a-lily-daemon-5f7d9c8b4',
      collisionCount: 0,
      availableReplicas: 1,
    },
  };
}

/** Every object of a 0.1.4 release, live. */
export function liveRelease(
  shape: { logLevel?: string; apiToken?: string; storageUrl?: string } = {},
): PlanObject[] {
  const storageUrl = shape.storageUrl ?? 'postgres://lily@db:5432/lily';
  const secretData = {
    LILY_API_TOKEN: Buffer.from(shape.apiToken ?? 'token-1').toString('base64'),
    'storage-url': Buffer.from(storageUrl).toString('base64'),
  };
  const objects: Record<string, unknown>[] = [
    liveStatefulSet(shape.logLevel),
    {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: serverMetadata('lily-a-lily-api', '1a-service'),
      spec: {
        ports: [{ name: 'api', protocol: 'TCP', port: 1234, targetPort: 1234 }],
        selector: { 'app.kubernetes.io/instance': 'lily-a' },
        clusterIP: '10.96.14.7',
        clusterIPs: ['10.96.14.7'],
        type: 'ClusterIP',
        sessionAffinity: 'None',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        internalTrafficPolicy: 'Cluster',
      },
      status: { loadBalancer: {} },
    },
    {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: serverMetadata('lily-a-lily-config', '2b-configmap'),
      data: { 'config.toml': '[API]\n  ListenAddress = "/ip4/0.0.0.0/tcp/1234/http"\n' },
    },
    {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: serverMetadata('lily-a-lily-env', '3c-secret', {
        annotations: {
          ...helmAnnotations,
          // As kubectl apply leaves it: the whole object, values included.
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            data: secretData,
            stringData: { 'storage-url': storageUrl },
          }),
        },
      }),
      data: secretData,
      type: 'Opaque',
    },
    {
      kind: 'PodDisruptionBudget',
      apiVersion: 'policy/v1',
      metadata: serverMetadata('lily-a-lily-daemon-pdb', '4d-pdb', { generation: 1 }),
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: { 'app.kubernetes.io/instance': 'lily-a' } },
      },
      status: { currentHealthy: 1, desiredHealthy: 0, disruptionsAllowed: 1, expectedPods: 1 },
    },
  ];
  return objects.map((o) => liveObject(o)!);
}
