import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MemoryFailureStore, RedisFailureStore } from './failure-store';
import { FAILURE_STORE, FailureThrottle } from './failure-throttle.service';

@Global()
@Module({
  providers: [
    {
      provide: FAILURE_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.rateLimitRedisUrl
          ? new RedisFailureStore(config.rateLimitRedisUrl)
          : new MemoryFailureStore(),
    },
    FailureThrottle,
  ],
  exports: [FailureThrottle],
})
export class ThrottlingModule {}
