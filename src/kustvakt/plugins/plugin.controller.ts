import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { ClientAuthService } from '../../auth/client-auth.service';
import { CurrentUser, UserAuth } from '../../auth/user-auth.guard';
import { ClientInfoDto, SuperClientFormDto } from '../../clients/client-services.dto';
import { FormBodyGuard } from '../../common/content-type.guard';
import { OAuthError } from '../../common/oauth-error';
import { kustvaktRoutes } from '../../common/oauth2-routes';
import {
  ApiErrors,
  ApiForm,
  ApiUserAuth,
  SUPER_CLIENT_ERRORS,
  USER_AUTH_ERRORS,
} from '../../common/openapi';
import { type Caller, RequestCaller } from '../../throttling/caller';
import { InstalledPluginDto, PluginListRequestDto, PluginRequestDto } from './plugin.dto';
import { type InstalledPluginEntry, type PluginEntry, PluginService } from './plugin.service';

const CLIENT_ID_MISSING: [number, 'invalid_request', string] = [
  400,
  'invalid_request',
  'client_id missing (Kustvakt errors: 107)',
];

/**
 * Kalamar's plugin marketplace (README: Plugins), Kustvakt's PluginController: served at
 * `/plugins` and at Kustvakt's `/api/v1.0/plugins` and `/api/v1.1/plugins`. Every route is a
 * super-client service: the user first (UserAuth), then the super client, then the form.
 */
@Controller(kustvaktRoutes('plugins'))
@ApiTags('plugins')
@ApiUserAuth()
@UserAuth(FormBodyGuard)
export class PluginController {
  constructor(
    private readonly plugins: PluginService,
    private readonly clientAuth: ClientAuthService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'The plugins: clients with a source, by name' })
  @ApiForm()
  @ApiOkResponse({ type: [ClientInfoDto] })
  @ApiErrors(...USER_AUTH_ERRORS, ...SUPER_CLIENT_ERRORS, [
    400,
    'invalid_request',
    'permitted_only is neither true nor false',
  ])
  async list(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: PluginListRequestDto,
  ): Promise<PluginEntry[]> {
    await this.authenticateSuperClient(caller, form);
    const permittedOnly = form.permitted_only;
    if (permittedOnly !== undefined && permittedOnly !== 'true' && permittedOnly !== 'false') {
      throw OAuthError.invalidRequest('permitted_only must be true or false.');
    }
    return this.plugins.list(user.userId, permittedOnly === 'true');
  }

  @Post('install')
  @HttpCode(200)
  @ApiOperation({ summary: 'Install a permitted client for the user in the super client' })
  @ApiForm()
  @ApiOkResponse({ type: InstalledPluginDto })
  @ApiErrors(
    ...USER_AUTH_ERRORS,
    ...SUPER_CLIENT_ERRORS,
    CLIENT_ID_MISSING,
    [400, 'invalid_request', 'a plugin no operator has permitted (Kustvakt errors: 1850)'],
    [400, 'invalid_request', 'installed already in this super client (Kustvakt errors: 1851)'],
    [404, 'not_found', 'unknown client'],
  )
  async install(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: PluginRequestDto,
  ): Promise<InstalledPluginEntry> {
    const superClient = await this.authenticateSuperClient(caller, form);
    return this.plugins.install(superClient, user.userId, form.client_id);
  }

  @Post('installed')
  @HttpCode(200)
  @ApiOperation({ summary: 'The plugins the user installed in the super client, by name' })
  @ApiForm()
  @ApiOkResponse({ type: [InstalledPluginDto] })
  @ApiErrors(...USER_AUTH_ERRORS, ...SUPER_CLIENT_ERRORS)
  async installed(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: SuperClientFormDto,
  ): Promise<InstalledPluginEntry[]> {
    const superClient = await this.authenticateSuperClient(caller, form);
    return this.plugins.listInstalled(superClient.id, user.userId);
  }

  @Post('uninstall')
  @HttpCode(200)
  @ApiOperation({ summary: "Uninstall a plugin; revokes the user's tokens of that client" })
  @ApiForm()
  @ApiOkResponse({ description: 'Empty body' })
  @ApiErrors(...USER_AUTH_ERRORS, ...SUPER_CLIENT_ERRORS, CLIENT_ID_MISSING, [
    404,
    'not_found',
    'not installed by the user in this super client (Kustvakt errors: 114)',
  ])
  async uninstall(
    @RequestCaller() caller: Caller,
    @CurrentUser() user: AuthenticatedUser,
    @Body() form: PluginRequestDto,
  ): Promise<void> {
    const superClient = await this.authenticateSuperClient(caller, form);
    await this.plugins.uninstall(superClient.id, user.userId, form.client_id);
  }

  private authenticateSuperClient(
    caller: Caller,
    form: { super_client_id?: string; super_client_secret?: string },
  ) {
    return this.clientAuth.authenticateSuperClient(
      caller,
      form.super_client_id,
      form.super_client_secret,
    );
  }
}
