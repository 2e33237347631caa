import { Global, Module } from '@nestjs/common';
import { RedisConnection } from '../redis/redis-connection';
import { MemoryFailureStore, RedisFailureStore } from './failure-store';
import { FAILURE_STORE, FailureThrottle } from './failure-throttle.service';

@Global()
@Module({
  providers: [
    {
      provide: FAILURE_STORE,
      inject: [RedisConnection],
      useFactory: ({ client }: RedisConnection) =>
        client ? new RedisFailureStore(client) : new MemoryFailureStore(),
    },
    FailureThrottle,
  ],
  exports: [FailureThrottle],
})
export class ThrottlingModule {}
