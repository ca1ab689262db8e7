// Failing dependencies, crashes and broker outages, on one stack whose orders service reaches
// RabbitMQ through a proxy the tests can cut.
import { useStack } from './support/current.js';
import './suites/resilience.js';
import './suites/recovery.js';

useStack({ links: ['orders->broker'] });
