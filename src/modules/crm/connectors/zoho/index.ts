export { createZohoConnector, zohoWebTabUrl, type ZohoConnector, type ZohoConnectorOptions } from './zoho.connector.js';
