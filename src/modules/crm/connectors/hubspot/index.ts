export {
  createHubspotConnector,
  HUBSPOT_API_URL,
  type HubspotConnector,
  type HubspotConnectorOptions,
  type LogActivitiesResult,
  type UpsertPeopleResult,
} from './hubspot.connector.js';
export { HUBSPOT_TIERS, type HubspotRateLimit } from './hubspot-rate-limit.js';
export { KEY_PROPERTY, MESSAGE_KEY_PROPERTY, TAGS_PROPERTY, TASK_KEY_PROPERTY } from './hubspot-mapping.js';
