import { clientDuration } from '../metrics/registry';
import { methodLabel } from './route';

/** Records one outbound call in the client RED histogram (status 0: no response). */
export function recordClientDuration(
  method: string | undefined,
  host: string,
  status: number,
  start: number,
): void {
  const m = methodLabel(method);
  clientDuration.record(
    `${m} ${status} ${host}`,
    { http_request_method: m, server_address: host, http_response_status_code: status },
    (performance.now() - start) / 1000,
    undefined,
  );
}
