// Business flows and the API contract, on one stack of real processes.
import { useStack } from './support/current.js';
import './suites/order-flow.js';
import './suites/api-contract.js';
import './suites/admin-api.js';

useStack();
