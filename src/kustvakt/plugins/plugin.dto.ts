import { ApiProperty } from '@nestjs/swagger';
import { SuperClientFormDto } from '../../clients/client-services.dto';
import { FormField } from '../../common/form-field.decorator';

/** POST /plugins (README: Plugins). */
export class PluginListRequestDto extends SuperClientFormDto {
  @FormField(8, '`true`: only the plugins an operator has permitted (Kalamar sends true)')
  permitted_only?: string;
}

/** POST /plugins/install and /plugins/uninstall. */
export class PluginRequestDto extends SuperClientFormDto {
  @FormField(256, 'the plugin') client_id?: string;
}

/** An installed plugin, in Kustvakt's field names (InstalledPluginDto). */
export class InstalledPluginDto {
  @ApiProperty() client_id!: string;
  @ApiProperty({ description: 'the super client it was installed in' }) super_client_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: String, nullable: true }) url!: string | null;
  @ApiProperty({ format: 'date-time' }) installed_date!: string;
}
