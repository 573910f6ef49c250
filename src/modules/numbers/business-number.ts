/** A WhatsApp business phone number the hub sends from and receives on. */
export type BusinessNumber = {
  phoneNumberId: string;
  displayPhoneNumber: string | null;
  wabaId: string;
  accessToken: string;
  throughputMps: number;
  /** When Meta said the token expired (190); null while it works. */
  tokenExpiredAt: number | null;
  /** Configured in the environment or stored in the database (`switchboard numbers add`). */
  source: 'environment' | 'database';
};
