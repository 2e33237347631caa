import { ApiProperty } from '@nestjs/swagger';
import { FormField } from '../common/form-field.decorator';

/** The form of POST /oauth2/token/list (README: POST /oauth2/token/list). */
export class TokenListRequestDto {
  @FormField(256) super_client_id?: string;
  @FormField(256) super_client_secret?: string;
  @FormField(32) token_type?: string;
  @FormField(256) client_id?: string;
  @FormField(16) start?: string;
  @FormField(16) max_results?: string;
  @FormField(8) counts_only?: string;
}

/** One entry of the token list (README: POST /oauth2/token/list), as documented in the OpenAPI description. */
export class TokenListEntryDto {
  @ApiProperty({ description: 'the token handle: names the token, never a credential' })
  token!: string;
  @ApiProperty({ enum: ['access_token', 'refresh_token'] }) token_type!: string;
  @ApiProperty({ format: 'date-time' }) created_date!: string;
  @ApiProperty({ description: 'whole seconds until expiry, rounded down' }) expires_in!: number;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ format: 'date-time' }) user_authentication_time!: string;
  @ApiProperty({ type: [String] }) scope!: string[];
  @ApiProperty() client_id!: string;
  @ApiProperty({ type: String, nullable: true }) client_name!: string | null;
  @ApiProperty({ type: String, nullable: true }) client_description!: string | null;
  @ApiProperty({ type: String, nullable: true }) client_url!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) last_used_at!: string | null;
}

/** An entry of POST /oauth2/token/list, which may reveal a personal token once. */
export class RevealingTokenListEntryDto extends TokenListEntryDto {
  @ApiProperty({
    description:
      'false: token is the handle; true: token is the access token itself, a personal token ' +
      'shown this once (README: Security model)',
  })
  token_revealed!: boolean;
}

/** The body of `counts_only=true`. */
export class TokenCountDto {
  @ApiProperty() count!: number;
}
