/** The shapes every etcd probe (etcdctl on a host, the JSON gateway from the controller) returns. */

/** One cluster member; `id` is the 64-bit member id in hex, as etcdctl's tables print it. */
export interface EtcdMember {
  id: string;
  /** Empty for a member that was added but has not started yet. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner?: boolean;
}

/** `endpoint status` / `/v3/maintenance/status` of one endpoint, ids in hex. */
export interface EtcdStatus {
  memberId: string;
  /** Hex id of the leader this member knows; "0" when it knows none. */
  leader: string;
  version: string;
  dbSize: number;
  raftTerm: number;
  raftIndex: number;
}

/** Everything one endpoint told us; a probe that failed keeps its reason in `error`. */
export interface EndpointProbe {
  endpoint: string;
  /** The linearizable read of key `health` succeeded (etcdctl's own definition). */
  healthy: boolean;
  error?: string;
  status?: EtcdStatus;
  members?: EtcdMember[];
}
