export { createPipedriveConnector, pipedriveCompanyDomain, type PipedriveConnector, type PipedriveConnectorOptions } from './pipedrive.connector.js';
