import { Controller, Delete, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClientsService } from '../clients/clients.service';
import { ApiErrors } from '../common/openapi';
import { AdminClientGuard } from './admin-client.guard';

/**
 * The admin API on clients (README: API at a glance): an operator's dashboard permits a plugin
 * to be installed from Kalamar's marketplace, as `clients grant <id> --permitted` does.
 */
@Controller('admin/clients/:client_id/permitted')
@UseGuards(AdminClientGuard)
@ApiTags('admin')
@ApiBasicAuth('basic')
@ApiErrors(
  [401, 'invalid_client', 'admin client credentials missing or wrong (WWW-Authenticate: Basic)'],
  [403, 'unauthorized_client', 'the client is not an admin client'],
  [404, 'not_found', 'unknown client'],
)
export class AdminClientsController {
  constructor(private readonly clients: ClientsService) {}

  /** Permits the plugin; 204 also when it was permitted already. */
  @Put()
  @HttpCode(204)
  @ApiOperation({ summary: 'Permit a plugin to be installed' })
  @ApiNoContentResponse({ description: 'Also when it was permitted already' })
  @ApiErrors([400, 'invalid_request', 'a public client, or a client without a source'])
  async permit(@Param('client_id') clientId: string): Promise<void> {
    await this.clients.setFlag(clientId, 'permitted', true);
  }

  /** Withdraws the permission: no new installations; existing ones and tokens stay. */
  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Withdraw a plugin's permission" })
  @ApiNoContentResponse({ description: 'Also when it was not permitted' })
  async forbid(@Param('client_id') clientId: string): Promise<void> {
    await this.clients.setFlag(clientId, 'permitted', false);
  }
}
