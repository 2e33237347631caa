import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import { parseAuthorizationHeader } from '../auth/basic-credentials';
import { constantTimeEquals } from '../auth/secrets';
import { OAuthError } from '../common/oauth-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { BEARER_IDENTITY } from '../throttling/throttle.guard';
import { MetricsService } from './metrics.service';

@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Prometheus text exposition format. With METRICS_TOKEN set, only a scraper presenting it as
   * a Bearer token gets an answer: the figures tell an outsider how busy the service is and
   * how many logins fail.
   */
  @Get()
  @ApiTags('operations')
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const expected = this.config.metricsToken;
    if (expected !== undefined) {
      const header = parseAuthorizationHeader(authorization);
      if (header?.scheme !== 'bearer' || !constantTimeEquals(header.credentials, expected)) {
        // A wrong token is a guess like any unknown bearer token, and is throttled as one.
        const error = OAuthError.invalidToken('The metrics need the METRICS_TOKEN as Bearer.');
        throw header ? error.countsAsFailureOf(BEARER_IDENTITY) : error;
      }
    }
    return this.metrics.registry.metrics();
  }
}
