import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FormField } from '../common/form-field.decorator';

/** Super-client credentials, which every super-client service takes (README: API at a glance). */
export class SuperClientFormDto {
  @FormField(256) super_client_id?: string;
  @FormField(256) super_client_secret?: string;
}

/** POST /oauth2/client/list (README: API at a glance). */
export class ClientListRequestDto extends SuperClientFormDto {
  @FormField(32, 'owned_only or authorized_only; on /api/v1.x/ optional (Kustvakt)')
  filter_by?: string;
  /** Kustvakt's older parameter, read only on /api/v1.0/ (src/kustvakt/legacy-client-list.ts). */
  @FormField(16, 'deprecated (Kustvakt): on /api/v1.0/ only, "true" lists authorized clients')
  authorized_only?: string;
}

/** POST /oauth2/client/reset (README: API at a glance). */
export class ClientResetRequestDto {
  @FormField(256) client_id?: string;
}

/** `{"client_id","client_secret"?}`: the secret is shown once, for confidential clients. */
export class RegisteredClientDto {
  @ApiProperty() client_id!: string;
  @ApiPropertyOptional({ example: 'tvs_…' }) client_secret?: string;
}

/** A client's info (README: Client registration and info); the last two fields only for its registrant. */
export class ClientInfoDto {
  @ApiProperty() client_id!: string;
  @ApiProperty() client_name!: string;
  @ApiProperty({ enum: ['PUBLIC', 'CONFIDENTIAL'] }) client_type!: string;
  @ApiProperty({ type: String, nullable: true }) client_description!: string | null;
  @ApiProperty({ type: String, nullable: true }) client_url!: string | null;
  @ApiProperty({ type: String, nullable: true }) client_redirect_uri!: string | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'as registered; left out when the client has none',
  })
  source?: Record<string, unknown>;
  @ApiProperty({ description: 'a super client (Kustvakt: super)' }) super!: boolean;
  @ApiProperty({
    description:
      'may be installed from the plugin marketplace: every client but a plugin an operator has not permitted',
  })
  permitted!: boolean;
  @ApiPropertyOptional({ format: 'date-time' }) registration_date?: string;
  @ApiPropertyOptional({ type: Number, nullable: true }) refresh_token_expiry?: number | null;
}
