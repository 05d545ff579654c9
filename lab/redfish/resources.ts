import type { EmulatedMachine } from './machine.ts';

/** The Redfish documents the emulated BMC serves (DMTF schema names; one system, one manager, one CD). */
export const paths = {
  root: '/redfish/v1',
  systems: '/redfish/v1/Systems',
  system: '/redfish/v1/Systems/1',
  reset: '/redfish/v1/Systems/1/Actions/ComputerSystem.Reset',
  managers: '/redfish/v1/Managers',
  manager: '/redfish/v1/Managers/1',
  virtualMediaCollection: '/redfish/v1/Managers/1/VirtualMedia',
  cd: '/redfish/v1/Managers/1/VirtualMedia/Cd',
  insertMedia: '/redfish/v1/Managers/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia',
  ejectMedia: '/redfish/v1/Managers/1/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia',
  sessionService: '/redfish/v1/SessionService',
  sessions: '/redfish/v1/SessionService/Sessions',
} as const;

const ref = (id: string) => ({ '@odata.id': id });

export function etagOf(machine: EmulatedMachine): string {
  return `W/"${machine.version}"`;
}

export function serviceRoot() {
  return {
    '@odata.type': '#ServiceRoot.v1_15_0.ServiceRoot',
    '@odata.id': paths.root,
    Id: 'RootService',
    Name: 'UltraCloud lab BMC',
    RedfishVersion: '1.15.0',
    Systems: ref(paths.systems),
    Managers: ref(paths.managers),
    SessionService: ref(paths.sessionService),
    Links: { Sessions: ref(paths.sessions) },
  };
}

export function collection(id: string, type: string, members: string[]) {
  return {
    '@odata.type': `#${type}Collection.${type}Collection`,
    '@odata.id': id,
    Name: `${type} Collection`,
    Members: members.map(ref),
    'Members@odata.count': members.length,
  };
}

export function system(machine: EmulatedMachine) {
  return {
    '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
    '@odata.id': paths.system,
    '@odata.etag': etagOf(machine),
    Id: '1',
    Name: 'lab bare-metal node',
    SystemType: 'Physical',
    PowerState: machine.powerState,
    Boot: {
      BootSourceOverrideTarget: machine.boot.target,
      BootSourceOverrideEnabled: machine.boot.enabled,
      BootSourceOverrideMode: machine.boot.mode,
      'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Cd', 'Hdd', 'BiosSetup'],
    },
    Actions: {
      '#ComputerSystem.Reset': {
        target: paths.reset,
        'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart'],
      },
    },
    Links: { ManagedBy: [ref(paths.manager)] },
    Oem: { UltraCloudLab: { Boots: machine.boots, QemuPid: machine.guest?.pid ?? null } },
  };
}

export function manager() {
  return {
    '@odata.type': '#Manager.v1_17_0.Manager',
    '@odata.id': paths.manager,
    Id: '1',
    Name: 'lab BMC',
    ManagerType: 'BMC',
    VirtualMedia: ref(paths.virtualMediaCollection),
    Links: { ManagerForServers: [ref(paths.system)] },
  };
}

export function virtualMedia(machine: EmulatedMachine) {
  return {
    '@odata.type': '#VirtualMedia.v1_6_0.VirtualMedia',
    '@odata.id': paths.cd,
    '@odata.etag': etagOf(machine),
    Id: 'Cd',
    Name: 'Virtual CD',
    MediaTypes: ['CD', 'DVD'],
    Image: machine.media.image,
    Inserted: machine.media.inserted,
    WriteProtected: true,
    ConnectedVia: machine.media.inserted ? 'URI' : 'NotConnected',
    TransferProtocolType: 'HTTP',
    Actions: {
      '#VirtualMedia.InsertMedia': { target: paths.insertMedia },
      '#VirtualMedia.EjectMedia': { target: paths.ejectMedia },
    },
  };
}

export function sessionService() {
  return {
    '@odata.type': '#SessionService.v1_1_8.SessionService',
    '@odata.id': paths.sessionService,
    Id: 'SessionService',
    Name: 'Session Service',
    ServiceEnabled: true,
    SessionTimeout: 1800,
    Sessions: ref(paths.sessions),
  };
}

export function session(id: string, user: string) {
  return {
    '@odata.type': '#Session.v1_6_0.Session',
    '@odata.id': `${paths.sessions}/${id}`,
    Id: id,
    Name: `Session ${id}`,
    UserName: user,
  };
}
