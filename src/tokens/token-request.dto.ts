import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FormField } from '../common/form-field.decorator';

/** The form of POST /oauth2/token (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6). */
export class TokenRequestDto {
  @FormField(64) grant_type?: string;
  @FormField(256) code?: string;
  @FormField(2000) redirect_uri?: string;
  @FormField(256) code_verifier?: string;
  @FormField(256) refresh_token?: string;
  @FormField(2000) scope?: string;
  @FormField(256) username?: string;
  @FormField(1024) password?: string;
  @FormField(256) client_id?: string;
  @FormField(256) client_secret?: string;
}

/** A successful token response (RFC 6749 §5.1). */
export class TokenResponseDto {
  @ApiProperty({ example: 'tva_…' }) access_token!: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type!: string;
  @ApiProperty({ description: 'seconds' }) expires_in!: number;
  @ApiProperty({ example: 'match_info search' }) scope!: string;
  @ApiPropertyOptional({ example: 'tvr_…', description: 'confidential clients acting for a user' })
  refresh_token?: string;
}

/** RFC 7662 §2.2; an inactive token is `{"active": false}` alone. */
export class IntrospectionResponseDto {
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional() scope?: string;
  @ApiPropertyOptional() client_id?: string;
  @ApiPropertyOptional() username?: string;
  @ApiPropertyOptional({ enum: ['Bearer', 'refresh_token'] }) token_type?: string;
  @ApiPropertyOptional() exp?: number;
  @ApiPropertyOptional() iat?: number;
  @ApiPropertyOptional() sub?: string;
}
