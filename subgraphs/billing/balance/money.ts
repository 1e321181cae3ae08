// Money helpers live in the kit, where Team's billing alert mail formats amounts too.
export { TICKS_PER_USD, ticksToUsd } from '../../kit/money';
