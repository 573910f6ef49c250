import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { CrmConfig } from '../../platform/config.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { RateLimiter } from '../outbound/index.js';
import type { CrmConnector } from './crm-connector.js';
import { BuiltinCrmConnector } from './connectors/builtin/builtin.connector.js';
import { createHubspotConnector } from './connectors/hubspot/index.js';
import { createPipedriveConnector } from './connectors/pipedrive/index.js';
import { createSalesforceConnector } from './connectors/salesforce/index.js';
import { createZohoConnector } from './connectors/zoho/index.js';
import type { FieldMap } from './core/field-mapping.js';

export type CrmConnectorDeps = {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  /** The vendor's rate limit is shared by every process through it when it is Redis-backed. */
  limiter: RateLimiter;
  fieldMap: FieldMap;
};

/** A connector that holds connections to close at shutdown. */
export type ClosableCrmConnector = CrmConnector & { close?(): Promise<void> };

const inward = (map: FieldMap) => [...new Set(map.filter((e) => e.direction !== 'to_crm').map((e) => e.crm))];

/** The configured CRM. Credentials were checked by the configuration (a missing one stops start-up). */
export function createCrmConnector(config: CrmConfig, deps: CrmConnectorDeps): ClosableCrmConnector {
  const { limiter, clock } = deps;
  const need = (value: string | undefined, variable: string): string => {
    if (!value) throw new Error(`${variable} is required when CRM_CONNECTOR=${config.CRM_CONNECTOR}`);
    return value;
  };
  switch (config.CRM_CONNECTOR) {
    case 'builtin':
      return new BuiltinCrmConnector({ db: deps.db, clock, ids: deps.ids, defaultRegion: config.DEFAULT_REGION });
    case 'hubspot':
      return createHubspotConnector({
        baseUrl: config.HUBSPOT_BASE_URL,
        accessToken: need(config.HUBSPOT_ACCESS_TOKEN, 'HUBSPOT_ACCESS_TOKEN'),
        limiter,
        clock,
        fieldProperties: inward(deps.fieldMap),
        ...(config.HUBSPOT_WEBHOOK_SECRET ? { webhookSecret: config.HUBSPOT_WEBHOOK_SECRET } : {}),
        ...(config.HUBSPOT_WEBHOOK_URL ? { webhookUrl: config.HUBSPOT_WEBHOOK_URL } : {}),
      });
    case 'salesforce':
      return createSalesforceConnector({
        loginUrl: config.SALESFORCE_LOGIN_URL,
        clientId: need(config.SALESFORCE_CLIENT_ID, 'SALESFORCE_CLIENT_ID'),
        username: need(config.SALESFORCE_USERNAME, 'SALESFORCE_USERNAME'),
        privateKey: need(config.SALESFORCE_PRIVATE_KEY, 'SALESFORCE_PRIVATE_KEY'),
        limiter,
        clock,
        readFields: inward(deps.fieldMap),
      });
    case 'zoho':
      return createZohoConnector({
        accountsUrl: config.ZOHO_ACCOUNTS_URL,
        apiUrl: config.ZOHO_API_URL,
        clientId: need(config.ZOHO_CLIENT_ID, 'ZOHO_CLIENT_ID'),
        clientSecret: need(config.ZOHO_CLIENT_SECRET, 'ZOHO_CLIENT_SECRET'),
        refreshToken: need(config.ZOHO_REFRESH_TOKEN, 'ZOHO_REFRESH_TOKEN'),
        limiter,
        clock,
        readFields: inward(deps.fieldMap),
      });
    case 'pipedrive':
      return createPipedriveConnector({
        baseUrl: config.PIPEDRIVE_BASE_URL,
        apiToken: need(config.PIPEDRIVE_API_TOKEN, 'PIPEDRIVE_API_TOKEN'),
        limiter,
        clock,
        ...(config.PIPEDRIVE_WEBHOOK_USER ? { webhookUser: config.PIPEDRIVE_WEBHOOK_USER } : {}),
        ...(config.PIPEDRIVE_WEBHOOK_PASSWORD ? { webhookPassword: config.PIPEDRIVE_WEBHOOK_PASSWORD } : {}),
      });
  }
}
