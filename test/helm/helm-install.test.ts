// `helm install` of charts/gatehouse into a real kube-apiserver, then the real `gatehouse serve`
// under the chart's ServiceAccount and RBAC, proxying to an echo backend at an EndpointSlice
// address. Runs in a private network namespace (see ../kube/private-netns.ts: the API server
// refuses loopback endpoint addresses).
import { runInPrivateNetns } from '../kube/private-netns.ts';

if (await runInPrivateNetns(import.meta.url)) await import('./helm-install.scenarios.ts');
