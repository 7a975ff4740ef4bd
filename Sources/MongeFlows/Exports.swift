@_exported import MongeCore
