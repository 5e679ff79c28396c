export interface RemoteStoreConfig {
  /** The server's base URL, e.g. `http://events.internal:2113`. */
  url: string;
  /** A bearer token (`trb_…`) when the server requires one. */
  token?: string;
}
