// The parts of Kubernetes API objects the action reads. Field names follow the
// API exactly, so `kubectl get -o json` output (and the API's) fits as is.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
  ownerReferences?: { kind: string; name: string }[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    reason?: string;
    message?: string;
    exitCode?: number;
    startedAt?: string;
    finishedAt?: string;
    containerID?: string;
  };
}

export interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  /** The container of its current (or last) run. */
  containerID?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

/** A container of a pod's spec, as far as it is read. */
export interface PodContainer {
  name: string;
  image?: string;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

export interface Pod extends KubeObject {
  spec?: {
    nodeName?: string;
    containers?: PodContainer[];
    initContainers?: PodContainer[];
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

export interface StatefulSet extends KubeObject {
  status?: {
    observedGeneration?: number;
    updateRevision?: string;
    readyReplicas?: number;
    replicas?: number;
  };
}

export interface KubeEvent extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: {
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
    /** The container an event is about: `spec.containers{daemon}`. */
    fieldPath?: string;
  };
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

export interface KubeList<T> {
  items: T[];
}

/** When an event first happened, whichever way its reporter recorded it. */
export function eventFirstSeen(event: KubeEvent): number {
  return (
    Date.parse(event.firstTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? '') ||
    0
  );
}

/** When an event last happened. */
export function eventLastSeen(event: KubeEvent): number {
  return Date.parse(event.lastTimestamp ?? event.eventTime ?? '') || eventFirstSeen(event);
}
