export { createSalesforceConnector, type SalesforceConnector, type SalesforceConnectorOptions } from './salesforce.connector.js';
export { defaultAudience } from './jwt-bearer.credentials.js';
export { translateSalesforceError, translateTokenError } from './salesforce-error.js';
