// End-to-end Kubernetes mode: the real `gatehouse serve` against a real kube-apiserver + etcd,
// proxying to echo backends at EndpointSlice addresses. Runs in a private network namespace
// (see private-netns.ts: the API server refuses loopback endpoint addresses).
import { runInPrivateNetns } from './private-netns.ts';

if (await runInPrivateNetns(import.meta.url)) await import('./gatehouse-kube.scenarios.ts');
