export type { BusinessNumber } from './business-number.js';
export { NumberDirectory, type EnvironmentNumber, type NewNumber } from './number-directory.js';
export { numbersRoutes, numberResponse, NewNumberBody } from './numbers.routes.js';
